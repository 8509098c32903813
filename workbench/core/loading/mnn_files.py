"""MNN models (.mnn), inspected: MNN's own converter (``MNNConvert -f MNN --info``) reads the header (inputs with
their sizes, format and type, outputs, the metadata the ONNX export carried), and ``MNN.expr.load_as_dict`` lists
the operators. Both run in a child process: MNN prints to the C stdout, and a bad file must not take the workbench
down with it. A file MNN's verifier refuses is one line.

``run_tool`` is also how the mnn target calls the converter: ``_tools.mnnconvert`` (the C converter the ``mnn``
package ships) called directly, not through ``MNN.tools.mnnconvert.main``, whose logger uploads every conversion's
arguments to Alibaba's log service (and pip-installs its SDK when it is missing).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.registry import Loader
from workbench.core.results import InspectResult, TensorInfo

INSTALL = "pip install -c constraints.txt mnn (it is in the workbench's main dependencies)"
_CONVERT = "import sys, _tools; _tools.mnnconvert(['MNNConvert'] + sys.argv[1:])"
_OPS = ("import json, sys, collections, MNN.expr as F; d = F.load_as_dict(sys.argv[1]); "
        "c = collections.Counter(v.op_type for v in d.values()); "
        "print('WORKBENCH-OPS ' + json.dumps(dict(c.most_common())))")
_INPUT = re.compile(r"^\[ (?P<name>.+?) \]: dimensionFormat: (?P<fmt>\w+), size: \[ (?P<dims>[-\d, ]*) \], "
                    r"type is (?P<dtype>\w+)")
_DTYPES = {"int32": "int32", "float": "float32", "float32": "float32", "int64": "int64", "uint8": "uint8",
           "int8": "int8", "double": "float64", "float16": "float16"}


def available() -> str | None:
    """None where MNN imports, else the one-line reason with its install command."""
    import importlib.util

    if importlib.util.find_spec("_tools") is None or importlib.util.find_spec("MNN") is None:
        return f"MNN is not installed: {INSTALL}"
    return None


def run_tool(code: str, args: list, timeout: float | None = None) -> subprocess.CompletedProcess:
    """A child Python running ``code`` with ``args`` (stdout and stderr captured, as text)."""
    missing = available()
    if missing:
        raise WorkbenchError(missing, "install it, then run the command again")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, errors="replace")


def convert(args: list, timeout: float | None = None) -> subprocess.CompletedProcess:
    """MNNConvert with ``args`` (it exits 0 on failure too: callers read its report)."""
    return run_tool(_CONVERT, args, timeout)


def read_info(path) -> dict:
    """{inputs: [TensorInfo-like dicts], outputs: [names], version, metadata} read by MNN's converter; a file MNN
    refuses is a WorkbenchError naming what MNN said."""
    done = convert(["-f", "MNN", "--modelFile", str(path), "--info"], timeout=300)
    text = done.stdout + done.stderr
    if "Model Inputs:" not in text:
        said = [line.strip() for line in text.splitlines() if line.strip() and "device supports" not in line]
        raise WorkbenchError(f"{path}: not a valid MNN model (MNN: {said[0] if said else 'no answer'})",
                             "the file may be truncated or corrupt: convert it again with --target mnn")
    inputs, outputs, meta, version, section = [], [], {}, "", None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Model Inputs:"):
            section = "inputs"
        elif line.startswith("Model Outputs:"):
            section = "outputs"
        elif line.startswith("Model Version:"):
            version, section = line.split(":", 1)[1].strip(), None
        elif line.startswith("[Meta]"):
            key, _, value = line[len("[Meta]"):].partition(" : ")
            meta[key.strip()] = value.strip()
        elif section == "inputs" and (m := _INPUT.match(line)):
            dims = [int(d) for d in m["dims"].replace(" ", "").split(",") if d]
            inputs.append({"name": m["name"], "shape": dims, "dtype": _DTYPES.get(m["dtype"], m["dtype"]),
                           "format": m["fmt"]})
        elif section == "outputs" and line.startswith("[ ") and line.endswith(" ]"):
            outputs.append(line[2:-2])
    return {"inputs": inputs, "outputs": outputs, "version": version, "metadata": meta}


def dynamic_axes(info: dict) -> dict:
    """{input: [axis, ...]} the export left dynamic: the ONNX export's record (``workbench.mnn.dynamic_axes``, which
    the converter keeps as metadata), else the axes MNN itself marks -1. MNN writes a dynamic batch as 1, so
    without the record a batch axis reads as fixed."""
    recorded = info["metadata"].get("workbench.mnn.dynamic_axes")
    if recorded:
        try:
            return {k: [int(a) for a in v] for k, v in json.loads(recorded).items()}
        except (ValueError, AttributeError, TypeError):
            pass
    return {i["name"]: [a for a, d in enumerate(i["shape"]) if d < 0] for i in info["inputs"]}


def op_counts(path) -> dict:
    done = run_tool(_OPS, [str(path)], timeout=300)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WORKBENCH-OPS ")), None)
    return json.loads(line[len("WORKBENCH-OPS "):]) if line else {}


def can_load(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".mnn"


def inspect_mnn(path: Path) -> InspectResult:
    info = read_info(path)
    axes = dynamic_axes(info)
    inputs = []
    for i in info["inputs"]:
        shape = [f"dim{a}" if a in axes.get(i["name"], ()) else d for a, d in enumerate(i["shape"])]
        inputs.append(TensorInfo(name=i["name"], dtype=i["dtype"], shape=shape))
    ops = op_counts(path)
    notes = [f"MNN model (written by MNN {info['version'] or '?'}): {len(inputs)} inputs, "
             f"{len(info['outputs'])} outputs, {sum(ops.values())} operators"]
    return InspectResult(path=str(path), format="mnn", inputs=inputs,
                         outputs=[TensorInfo(name=n, dtype="?", shape=[]) for n in info["outputs"]],
                         op_counts=ops, node_count=sum(ops.values()), metadata=info["metadata"],
                         total_bytes=path.stat().st_size, notes=notes)


def register(registry) -> None:
    registry.add_loader(Loader(name="mnn_files", can_load=can_load, inspect=inspect_mnn, load=None))
