"""Paddle inference models (``paddle.jit.save`` / ``save_inference_model``): a program file, ``model.json`` (Paddle
3's PIR program, JSON) or ``model.pdmodel`` (the older ProgramDesc protobuf), with its weights in ``model.pdiparams``
beside it. Given the program file, the .pdiparams or their folder.

``inspect`` reads the program's structure only (inputs, outputs, op counts, parameters with shapes and dtypes) and
runs nothing: the JSON is read with ``json``; a .pdmodel is parsed with Paddle's own protobuf schema
(``paddle.base.proto.framework_pb2``). Not a torch model: no ``load``; the onnx target exports it with paddle2onnx
(workbench.core.targets.paddle_onnx) and the ``paddle`` runtime runs it (workbench.core.runtimes.paddle).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.results import InspectResult, TensorInfo

PROGRAM_SUFFIXES = (".json", ".pdmodel")
PARAMS = ".pdiparams"
INSTALL = "pip install paddlepaddle paddle2onnx (in the workbench's main dependencies: reinstall with -c constraints.txt)"
# PIR dtype tags ("0.t_f32") and ProgramDesc VarType codes -> numpy names, with their sizes
PIR_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64", "i64": "int64",
              "i32": "int32", "i8": "int8", "ui8": "uint8", "bool": "bool"}
PROTO_DTYPES = {0: "bool", 1: "int16", 2: "int32", 3: "int64", 4: "float16", 5: "float32", 6: "float64",
                20: "uint8", 21: "int8", 22: "bfloat16"}
SIZES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int64": 8, "int32": 4, "int16": 2, "int8": 1,
         "uint8": 1, "bool": 1}


def _program_in(folder: Path) -> list:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PROGRAM_SUFFIXES and p.with_suffix(PARAMS).is_file()
                  or p.suffix.lower() == ".pdmodel")


def _pir_head(path: Path) -> bool:
    """A PIR program's JSON opens with its base_code (magic "pir"): read the first bytes only."""
    with open(path, "rb") as handle:
        head = handle.read(200)
    return head.lstrip().startswith(b'{"base_code"') and b'"pir"' in head


def is_paddle(path) -> bool:
    """Whether ``path`` names a Paddle inference model (a .pdmodel, a .json with its .pdiparams, a .pdiparams with
    its program, or a folder holding one)."""
    p = Path(str(path)).expanduser()
    try:
        if p.is_dir():
            return not (p / "config.json").exists() and bool(_program_in(p))
        suffix = p.suffix.lower()
        if suffix == ".pdmodel" or suffix == PARAMS:
            return True
        return suffix == ".json" and (p.with_suffix(PARAMS).is_file() or _pir_head(p))
    except OSError:
        return False


def find_pair(path) -> tuple:
    """(program file, params file) of a Paddle model, or a one-line error naming what is missing."""
    p = Path(str(path)).expanduser()
    if p.is_dir():
        found = _program_in(p)
        if len(found) != 1:
            raise WorkbenchError(f"{p}: {'no' if not found else len(found)} Paddle programs in the folder",
                                 "give the model.json or .pdmodel file itself")
        p = found[0]
    if p.suffix.lower() == PARAMS:
        programs = [p.with_suffix(s) for s in PROGRAM_SUFFIXES if p.with_suffix(s).is_file()]
        if not programs:
            raise WorkbenchError(f"{p}: no {p.stem}.json or {p.stem}.pdmodel beside the weights",
                                 "keep the program and the .pdiparams that paddle.jit.save wrote side by side")
        p = programs[0]
    if not p.is_file():
        raise WorkbenchError(f"{p}: no such Paddle model file", "check the path")
    params = p.with_suffix(PARAMS)
    if not params.is_file():
        raise WorkbenchError(f"{p}: its weights file {params.name} is missing",
                             "keep the program and the .pdiparams that paddle.jit.save wrote side by side")
    return p, params


def _attr(op: dict, name: str):
    for a in op.get("A") or []:
        if isinstance(a, dict) and a.get("N") == name:
            return a["AT"]["D"]
    return None


def _pir_type(out: dict) -> tuple:
    dtype_tag, shape = out["TT"]["D"][0]["#"], out["TT"]["D"][1]
    return PIR_DTYPES.get(dtype_tag.split("t_")[-1], dtype_tag), [d if d >= 0 else "?" for d in shape]


def _read_pir(path: Path) -> tuple:
    """(inputs, outputs, op counts, parameters) of a PIR program (model.json)."""
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or (data.get("base_code") or {}).get("magic") != "pir":
        raise ValueError("not a Paddle PIR program (no base_code.magic 'pir')")
    ops = [op for region in data["program"]["regions"] for block in region["blocks"] for op in block["ops"]]
    inputs, outputs, params, counts = [], [], [], Counter()
    for op in ops:
        kind = op["#"].split(".", 1)[-1]
        out = op.get("O")
        if kind == "p":
            dtype, shape = _pir_type(out)
            params.append(TensorInfo(op["A"][3], dtype, shape))
            continue
        outs = out if isinstance(out, list) else [out] if out else []
        if kind == "data":
            dtype, shape = _pir_type(outs[0])
            inputs.append(TensorInfo(_attr(op, "name"), dtype, shape))
        elif kind == "fetch":
            dtype, shape = _pir_type(outs[0])
            outputs.append(TensorInfo(_attr(op, "name"), dtype, shape))
        else:
            counts[kind] += 1
    return inputs, outputs, counts, params


def _read_proto(path: Path) -> tuple:
    """(inputs, outputs, op counts, parameters) of a ProgramDesc (.pdmodel), through Paddle's protobuf schema."""
    from paddle.base.proto import framework_pb2

    program = framework_pb2.ProgramDesc()
    program.ParseFromString(path.read_bytes())
    block = program.blocks[0]
    variables = {v.name: v for v in block.vars}

    def info(name):
        kind = variables[name].type
        tensor = (kind.dense_tensor if kind.HasField("dense_tensor") else kind.lod_tensor).tensor  # 3.x / 2.x
        return TensorInfo(name, PROTO_DTYPES.get(tensor.data_type, str(tensor.data_type)),
                          [d if d >= 0 else "?" for d in tensor.dims])

    inputs = [info(op.outputs[0].arguments[0]) for op in block.ops if op.type == "feed"]
    outputs = [info(op.inputs[0].arguments[0]) for op in block.ops if op.type == "fetch"]
    counts = Counter(op.type for op in block.ops if op.type not in ("feed", "fetch"))
    params = [info(v.name) for v in block.vars if v.persistable and v.name not in ("feed", "fetch")]
    return inputs, outputs, counts, params


def read_program(path) -> tuple:
    program, params_file = find_pair(path)
    try:
        found = _read_pir(program) if program.suffix.lower() == ".json" else _read_proto(program)
    except ImportError as err:
        raise WorkbenchError(f"reading {program.name} needs Paddle ({first_line(err)})", INSTALL) from None
    except Exception as err:  # noqa: BLE001 - a corrupt file is the user's to replace, in one line
        raise WorkbenchError(f"{program}: not a readable Paddle program ({type(err).__name__}: {first_line(err)})",
                             "re-save the model with paddle.jit.save") from None
    return (program, params_file) + found


def inspect(path: Path) -> InspectResult:
    program, params_file, inputs, outputs, counts, params = read_program(path)
    sizes = {}
    for p in params:
        n = math.prod(d for d in p.shape if isinstance(d, int))
        sizes[p.dtype] = sizes.get(p.dtype, 0) + n * SIZES.get(p.dtype, 4)
    total = sum(sizes.values())
    notes = [f"{len(params)} parameter tensors, {sum(counts.values())} ops ({program.name} + {params_file.name})"]
    if params_file.stat().st_size < total:
        raise WorkbenchError(f"{params_file}: {params_file.stat().st_size} bytes, the program's parameters need "
                             f"{total}", "the weights file is truncated: copy it again or re-save the model")
    return InspectResult(path=str(program), format="paddle", tensors=params,
                         parameters=sum(math.prod(d for d in p.shape if isinstance(d, int)) for p in params),
                         bytes_by_dtype=sizes, total_bytes=total, inputs=inputs, outputs=outputs,
                         op_counts=dict(counts.most_common()), node_count=sum(counts.values()),
                         files=[str(program), str(params_file)], notes=notes,
                         metadata={"program": "pir" if program.suffix.lower() == ".json" else "programdesc"})


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="paddle_files", can_load=is_paddle, inspect=inspect))
