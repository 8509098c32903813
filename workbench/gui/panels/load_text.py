"""What the Load panel's results say, apart from the widgets that show it: the Configuration rows of an inspection,
the `workbench advise` line and its tooltip, and the problems banner's HTML. Texts stay in the LoadPanel
translation context, where they always were; the panel (load_panel.py) builds the tables and sets these texts."""

from __future__ import annotations

import json

from PySide6.QtCore import QCoreApplication

from workbench.gui.models import human_bytes


def escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def flatten(config: dict, prefix: str = "") -> list:
    """[[dotted key, value text]] of a nested config.json (true / false / null as JSON writes them)."""
    rows = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows += flatten(value, name + ".")
        else:
            if isinstance(value, bool) or value is None:
                value = json.dumps(value)  # true / false / null, as in config.json
            elif isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value))
            rows.append([name, str(value)])  # text, left-aligned, next to its key
    return rows


def config_rows(result) -> list:
    """The Configuration table: the config flattened, or an ONNX file's node, opset and op counts; metadata after."""
    rows = flatten(result.config) if result.config else []
    if result.format == "onnx":
        rows = [[QCoreApplication.translate("LoadPanel", "nodes"), str(result.node_count)],
                *[[f"opset {k or 'ai.onnx'}", str(v)] for k, v in result.opset.items()],
                *[[f"op {k}", str(v)] for k, v in sorted(result.op_counts.items(), key=lambda kv: -kv[1])]]
    if result.metadata:
        rows += [[f"metadata.{k}", str(v)] for k, v in result.metadata.items()]
    return rows


def advice(result) -> tuple:
    """(text, tooltip): the same advice as `workbench advise` for a Hugging Face folder (headers only, so it runs
    here); "—" for any other format."""
    from workbench import api
    from workbench.core.errors import WorkbenchError

    if result.format != "hf-folder":
        return "—", ""
    try:
        found = api.advise(result.path)
    except WorkbenchError as err:  # an architecture llama.cpp cannot take: said in the tooltip
        from workbench.gui.i18n.engine import translate as engine_text

        return (QCoreApplication.translate("LoadPanel", "none (no GGUF conversion for this model)"),
                engine_text(err.one_line()))
    pick, budget = found["pick"], human_bytes(found["budget_bytes"])
    if pick is None:
        return (QCoreApplication.translate("LoadPanel", "none fits the {0} available").format(budget),
                QCoreApplication.translate("LoadPanel", "workbench advise {0} explains why").format(result.path))
    # one short line (the summary column is narrow); the rest in the tooltip
    need = human_bytes(pick["need_bytes"])
    return (QCoreApplication.translate("LoadPanel", "{0}, needs ~{1}").format(pick["quant"], need),
            QCoreApplication.translate(
                "LoadPanel", "{0} in llama.cpp, of the {1} available; measured fidelity {2:.4f}; "
                             "workbench advise {3} explains why").format(
                pick["quant"], budget, pick["fidelity"], result.path))


def problems_html(problems, notes=()) -> tuple:
    """(html, object name): blocking problems highlighted ("problems"), informational notes listed under them or
    under the all-clear ("okBanner")."""
    from workbench.gui.i18n.engine import translate as engine_text  # the engine's English, translated

    items = "".join(f"<li>{escape(engine_text(n))}</li>" for n in notes)
    note_html = ("<br>" + QCoreApplication.translate("LoadPanel", "Notes:") + f"<ul>{items}</ul>") if notes else ""
    if problems:
        lines = "".join(f"<li>{escape(engine_text(p))}</li>" for p in problems)
        head = QCoreApplication.translate("LoadPanel", "<b>Before you export, fix these:</b>")
        return head + f"<ul>{lines}</ul>" + note_html, "problems"
    clear = QCoreApplication.translate("LoadPanel", "No problems found: the model is ready to export.")
    return clear + note_html, "okBanner"
