"""The verdict of one quantized variant, as the Quantize panel shows it: pass / warning / fail against the cosine floor
of its precision (the engine's validate tolerances), with a line a non-programmer can read, and the row colours.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

OK_COLOR, BAD_COLOR, BUSY_COLOR = QColor(46, 160, 90, 60), QColor(220, 60, 60, 70), QColor(45, 156, 219, 45)
WARN_COLOR = QColor(240, 170, 40, 80)
VERDICT_COLORS = {"pass": OK_COLOR, "warning": WARN_COLOR, "fail": BAD_COLOR}
WARNING_MARGIN = 0.005  # a cosine this close above its floor passes, but is worded and coloured as a warning


def warning_margin(floor: float) -> float:
    """0.005, or half the way from the floor to 1.0 when that is less (fp16's floor is 0.999)."""
    return min(WARNING_MARGIN, (1.0 - floor) / 2)


def precision_of(mode: str) -> str:
    """The weights' precision a quantize mode produces: "int8-dynamic" -> "int8", "fp16" -> "fp16"."""
    return str(mode or "").split("-")[0]


def cosine_floor(mode: str):
    """The fidelity floor the engine's validate step judges this precision by (None when it has none)."""
    from workbench.core.validate import QUANTIZED_TOLERANCES, TOLERANCES

    table = QUANTIZED_TOLERANCES.get(precision_of(mode)) or TOLERANCES.get(precision_of(mode))
    return table[2] if table else None


def quantize_verdict(result) -> tuple:
    """("pass" | "warning" | "fail", one line a non-programmer can read) for a QuantizeResult, judged against the
    cosine floor of its precision (validate.QUANTIZED_TOLERANCES / TOLERANCES). An engine verdict on the result
    (``verdict`` or ``passed``) wins when it is there."""
    precision = precision_of(result.mode)
    cosine = float(result.fidelity.cosine)
    floor = getattr(result, "floor", None)  # the engine's floor for this run when it states one
    floor = float(floor) if floor is not None else cosine_floor(result.mode)
    engine = getattr(result, "verdict", None)
    if isinstance(engine, dict):
        engine = engine.get("level") or engine.get("verdict")
    if engine is None and getattr(result, "passed", None) is not None:
        engine = "pass" if result.passed else "fail"
    if floor is None:
        level = engine if engine in VERDICT_COLORS else "warning"
        return level, QCoreApplication.translate("QuantizePanel", "{0}: cosine {1:.4f} (no floor known for "
                                                 "this precision)").format(precision, cosine)
    margin = warning_margin(floor)
    if engine not in VERDICT_COLORS:
        engine = "fail" if cosine < floor else "warning" if cosine < floor + margin else "pass"
    elif engine == "pass" and cosine < floor + margin:
        engine = "warning"
    if engine == "fail":
        text = QCoreApplication.translate("QuantizePanel", "fail — {0}: cosine {1:.4f}, below the {2:g} floor")
    elif engine == "warning":
        text = QCoreApplication.translate("QuantizePanel", "warning — {0}: cosine {1:.4f}, passes its {2:g} "
                                          "floor by less than {3:g}")
    else:
        text = QCoreApplication.translate("QuantizePanel", "pass — {0}: cosine {1:.4f}, at or above the {2:g} "
                                          "floor")
    return engine, text.format(precision, cosine, floor, round(margin, 6))
