"""The exact ``workbench ...`` command line for what a panel is about to run ("Copy as CLI command").

Pure Python (no Qt): each function takes the spec dataclass the panel builds and returns ``shlex.join`` of the
arguments, following the CLI's contract. Options equal to the CLI's defaults are left out, so the line stays short.
"""

from __future__ import annotations

import shlex
from typing import Optional

from workbench.core.specs import BenchSpec, ExportSpec, InputSpec, OptimizeSpec, QuantSpec, ValidateSpec

PROGRAM = "workbench"
_INPUTS = InputSpec()


def _src(source) -> str:
    return source.path if hasattr(source, "path") else str(source)


def _trust(args: list, *sources) -> list:
    """``--trust-code`` when a source is a program (TorchScript, .pt2, model.py:Class): the CLI needs the flag."""
    from workbench.core.loading import program_kind

    if any(s is not None and (getattr(s, "trust_code", False) or program_kind(_src(s))) for s in sources):
        args.append("--trust-code")
    return args


def dynamic_items(dynamic_axes: Optional[dict]) -> list[str]:
    """``{input: {axis: name}}`` -> ``["input:axis=name", ...]`` (the CLI's and the recipe's form)."""
    items = []
    for name, axes in (dynamic_axes or {}).items():
        for axis, dim in sorted(axes.items(), key=lambda kv: int(kv[0])):
            items.append(f"{name}:{int(axis)}={dim}")
    return items


def parse_dynamic_items(items) -> dict:
    """Inverse of :func:`dynamic_items`; malformed entries raise ValueError with the entry in the message."""
    axes: dict = {}
    for item in items or ():
        try:
            head, dim = str(item).split("=", 1)
            name, axis = head.rsplit(":", 1)
            axes.setdefault(name.strip(), {})[int(axis)] = dim.strip()
        except ValueError:
            raise ValueError(f"'{item}' is not INPUT:AXIS=NAME") from None
    return axes


def inspect_command(path: str, as_json: bool = False) -> str:
    args = [PROGRAM, "inspect", str(path)]
    if as_json:
        args.append("--json")
    return shlex.join(args)


def export_command(spec: ExportSpec) -> str:
    args = [PROGRAM, "export", _src(spec.source), "-o", str(spec.output)]
    if spec.opset is not None:
        args += ["--opset", str(spec.opset)]
    if spec.dtype != "fp32":
        args += ["--dtype", spec.dtype]
    if spec.exporter != "dynamo":
        args += ["--exporter", spec.exporter]
    if spec.target != "onnx":
        args += ["--target", spec.target]
    if not spec.constant_folding:
        args.append("--no-constant-folding")
    if spec.inputs.batch != _INPUTS.batch or spec.inputs.sequence != _INPUTS.sequence:
        args += ["--batch", str(spec.inputs.batch), "--seq", str(spec.inputs.sequence)]
    if not spec.fallback:
        args.append("--no-fallback")
    if spec.input_names:
        args += ["--input-names", *spec.input_names]
    if spec.output_names:
        args += ["--output-names", *spec.output_names]
    items = dynamic_items(spec.dynamic_axes)
    if items:
        args += ["--dynamic", *items]
    args += target_flags(spec)
    return shlex.join(_trust(args, spec.source))


def target_flags(spec: ExportSpec) -> list:
    """The flags of the options the spec's target declares (workbench.core.target_options), for the fields set."""
    from workbench.core.registry import default_registry

    target = default_registry().targets.get(spec.target)
    out = []
    for option in target.form.options if target is not None else ():
        value = getattr(spec, option.field, None)
        if option.flag and value is not None:
            out += [option.flag, str(value)]
    return out


def validate_command(spec: ValidateSpec) -> str:
    args = [PROGRAM, "validate", str(spec.model), "--against", _src(spec.against)]
    if spec.rtol is not None:
        args += ["--rtol", repr(float(spec.rtol))]
    if spec.atol is not None:
        args += ["--atol", repr(float(spec.atol))]
    if getattr(spec, "locate", False):
        args.append("--locate")
    return shlex.join(_trust(args, spec.against))


def optimize_command(spec: OptimizeSpec) -> str:
    args = [PROGRAM, "optimize", str(spec.model), "-o", str(spec.output)]
    if spec.level != "extended":
        args += ["--level", spec.level]
    if spec.simplify:
        args.append("--simplify")
    if not spec.fusion:
        args.append("--no-fusion")
    if spec.against is not None:
        args += ["--against", _src(spec.against)]
    return shlex.join(_trust(args, spec.against))


def quantize_command(spec: QuantSpec) -> str:
    """`workbench quantize` with every option of the spec that applies to its mode and differs from the CLI's
    default (per-channel is written for the int8 modes either way)."""
    from workbench.gui.panels.quantize_options import DEFAULTS, KEYS

    keys = KEYS.get(spec.mode, ())
    args = [PROGRAM, "quantize", str(spec.model), "-o", str(spec.output), "--mode", spec.mode]
    if spec.calibration and "calibration" in keys:
        args += ["--calibration", str(spec.calibration)]
        if spec.tokenizer:
            args += ["--tokenizer", str(spec.tokenizer)]
    if "method" in keys and spec.method != DEFAULTS["method"]:
        args += ["--method", spec.method]
    if "per_channel" in keys:
        args.append("--per-channel" if spec.per_channel else "--no-per-channel")
    if "block_size" in keys and spec.block_size != DEFAULTS["block_size"]:
        args += ["--block-size", str(spec.block_size)]
    if "algorithm" in keys and spec.algorithm != DEFAULTS["algorithm"]:
        args += ["--algorithm", spec.algorithm]
    if "symmetric" in keys and spec.symmetric:
        args.append("--symmetric")
    if "op_types" in keys and spec.op_types:
        args += ["--op-types", *[str(t) for t in spec.op_types]]
    if spec.min_cosine is not None and "min_cosine" in keys:
        args += ["--min-cosine", f"{spec.min_cosine:g}"]
    if spec.max_excluded is not None and "max_excluded" in keys:
        args += ["--max-excluded", str(spec.max_excluded)]
    if spec.exclude:
        args += ["--exclude", *[str(n) for n in spec.exclude]]
    return shlex.join(args)


def bench_command(spec: BenchSpec) -> str:
    args = [PROGRAM, "bench", str(spec.model)]
    defaults = BenchSpec(model="")
    if spec.provider != defaults.provider:
        args += ["--provider", spec.provider]
    if spec.batch != defaults.batch:
        args += ["--batch", str(spec.batch)]
    if spec.sequence != defaults.sequence:
        args += ["--seq", str(spec.sequence)]
    if spec.iterations != defaults.iterations:
        args += ["--iterations", str(spec.iterations)]
    if spec.compare_torch is not None:
        args += ["--compare-torch", _src(spec.compare_torch)]
    return shlex.join(_trust(args, spec.compare_torch))


def run_command(recipe: str, output_dir: Optional[str] = None) -> str:
    args = [PROGRAM, "run", str(recipe)]
    if output_dir:
        args += ["-o", str(output_dir)]
    return shlex.join(args)
