"""TorchScript files, read as data for ``inspect`` and loaded as a program only with ``--trust-code``.

Reading (:func:`inspect_torchscript`) opens the zip: ``data.pkl`` through a restricted unpickler that builds
only inert stand-ins (a record per scripted object, tensor metadata from the storage references; no storage bytes
are read, no class of the file is instantiated) and ``code/**/*.py`` parsed with :mod:`ast` (parsed, never
compiled) for the forward signature and for calls the workbench would refuse to run. ``torch.jit.load`` is never
called: it runs the file's scripted ``__setstate__``.

Loading (:func:`load_script_module`) needs ``trust_code``; the source is scanned first (``torch.save``,
``torch.from_file``, ``print``, ``ops.<custom>`` are refused before anything loads), then ``torch.jit.load`` runs
and every method of every submodule is checked, inlined, against :mod:`program_ops` before forward ever runs.
What cannot be guaranteed: ``torch.jit.load`` itself runs ``__setstate__`` before the loaded graphs can be
checked; the source scan catches the known file/print/custom operators in it, not every conceivable misuse.
"""

from __future__ import annotations

import ast
import pickle
import zipfile
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.loading import program_ops
from workbench.core.results import InspectResult, TensorInfo

MAX_PICKLE_BYTES = 64 * 1024 * 1024
MAX_CODE_BYTES = 64 * 1024 * 1024
MAX_OBJECTS = 200_000
CORRUPT_HINT = "the file may be truncated or corrupt — re-save it with torch.jit.save"
STORAGE_DTYPES = {"FloatStorage": ("float32", 4), "DoubleStorage": ("float64", 8), "HalfStorage": ("float16", 2),
                  "BFloat16Storage": ("bfloat16", 2), "LongStorage": ("int64", 8), "IntStorage": ("int32", 4),
                  "ShortStorage": ("int16", 2), "CharStorage": ("int8", 1), "ByteStorage": ("uint8", 1),
                  "BoolStorage": ("bool", 1), "ComplexFloatStorage": ("complex64", 8),
                  "ComplexDoubleStorage": ("complex128", 16)}


class _ScriptObject:
    """An inert record of one scripted object: its TorchScript class name and pickled state."""

    qualname = "?"

    def __setstate__(self, state):  # our method, not the file's: it only keeps the state
        self.state = state


class _TensorMeta:
    def __init__(self, dtype: str, size: int, shape):
        self.dtype, self.size, self.shape = dtype, size, [int(d) for d in shape]


def _rebuild_tensor(storage, _offset, size, *_rest):
    dtype, element = storage if isinstance(storage, tuple) else ("?", 0)
    return _TensorMeta(dtype, element, size)


def _typed_list(items, *_rest):
    return items  # no copy: a pickle that rebuilds one big list many times must not cost that many copies


class _InertUnpickler(pickle.Unpickler):
    """Builds _ScriptObject / _TensorMeta stand-ins; any other global is refused (nothing of the file runs)."""

    classes: dict = {}

    def find_class(self, module, name):
        if module == "__torch__" or module.startswith("__torch__."):
            key = f"{module}.{name}"
            if key not in self.classes:
                self.classes[key] = type(name, (_ScriptObject,), {"qualname": key})
            return self.classes[key]
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter"):
            return _rebuild_tensor
        if module == "torch.jit._pickle" and name == "restore_type_tag":
            return lambda value, _tag: value
        if module == "torch.jit._pickle" and name.startswith("build_"):
            return _typed_list
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        if (module, name) == ("collections", "OrderedDict"):
            return dict
        raise pickle.UnpicklingError(f"GLOBAL {module}.{name} is not read by the workbench")

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and len(pid) >= 2 and pid[0] == "storage" and isinstance(pid[1], tuple):
            return pid[1]
        return ("?", 0)


def _members(z: zipfile.ZipFile) -> tuple:
    names = z.namelist()
    pkl = next((n for n in names if n.endswith("data.pkl") and n.count("/") <= 1), None)
    prefix = pkl[: -len("data.pkl")] if pkl else ""
    return names, prefix, pkl


def _read_root(path: Path, z: zipfile.ZipFile, pkl: Optional[str]):
    if pkl is None:
        return None, "no data.pkl"
    if z.getinfo(pkl).file_size > MAX_PICKLE_BYTES:
        return None, "data.pkl is too large to read"
    import io

    try:
        return _InertUnpickler(io.BytesIO(z.read(pkl))).load(), None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError) as err:
        return None, first_line(err, 120)


def _tensors(root) -> dict:
    out, seen, stack = {}, set(), [("", root)]
    while stack and len(seen) < MAX_OBJECTS:
        prefix, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _TensorMeta):
            out[prefix] = obj
        elif isinstance(obj, _ScriptObject):
            stack.append((prefix, getattr(obj, "state", None)))
        elif isinstance(obj, dict):
            stack.extend((f"{prefix}.{k}" if prefix else str(k), v) for k, v in obj.items()
                         if isinstance(v, (_TensorMeta, _ScriptObject, dict)))
        elif isinstance(obj, (tuple, list)):
            stack.extend((f"{prefix}.{i}" if prefix else str(i), v) for i, v in enumerate(obj)
                         if isinstance(v, (_TensorMeta, _ScriptObject, dict)))
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------ the source, parsed

def _sources(path: Path, z: zipfile.ZipFile, names: list, prefix: str) -> dict:
    total, out = 0, {}
    for name in names:
        if name.startswith(prefix + "code/") and name.endswith(".py"):
            total += z.getinfo(name).file_size
            if total > MAX_CODE_BYTES:
                raise WorkbenchError(f"{path}: more than {MAX_CODE_BYTES >> 20} MB of TorchScript code",
                                     CORRUPT_HINT)
            out[name[len(prefix):]] = z.read(name).decode("utf-8", "replace")
    return out


def _dotted(node) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _op_of_call(name: str) -> Optional[str]:
    """The operator a call in serialized TorchScript names: torch.save -> aten::save, ops.foo.bar -> foo::bar."""
    parts = name.split(".")
    if name == "print":
        return "prim::Print"
    if parts[0] == "torch" and len(parts) == 2:
        return f"aten::{parts[1]}"
    if parts[0] == "ops" and len(parts) >= 3:
        return f"{parts[1]}::{parts[2]}"
    if parts[:2] == ["torch", "ops"] and len(parts) >= 4:
        return f"{parts[2]}::{parts[3]}"
    return None


def scan_sources(path: Path, sources: dict) -> Optional[str]:
    """A refusal in words for the first call the workbench would not run, or None. Parse only: nothing runs."""
    for file, text in sources.items():
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            continue  # the graph check after loading still applies
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                op = _op_of_call(name) if name else None
                reason = program_ops.refused_op(op) if op else None
                if reason:
                    return program_ops.refuse(path, f"{op} (in {file}, line {node.lineno})", reason).what
    return None


def _signature(sources: dict, qualname: str) -> tuple:
    """(inputs, outputs) of the root class's forward, from its source's annotations."""
    module, _, cls_name = qualname.rpartition(".")
    text = sources.get("code/" + module.replace(".", "/") + ".py")
    if not text:
        return [], []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return [], []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "forward"):
            inputs = [TensorInfo(a.arg, ast.unparse(a.annotation) if a.annotation else "?", [])
                      for a in fn.args.args if a.arg != "self"]
            returns = ast.unparse(fn.returns) if fn.returns else "?"
            return inputs, [TensorInfo("output_0", returns, [])]
    return [], []


def _has_setstate(sources: dict) -> bool:
    return any("def __setstate__" in text for text in sources.values())


def inspect_torchscript(path: Path) -> InspectResult:
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            names, prefix, pkl = _members(z)
            sources = _sources(path, z, names, prefix)
            root, unread = _read_root(path, z, pkl)
    except (OSError, zipfile.BadZipFile, KeyError) as err:
        raise WorkbenchError(f"{path}: not a readable TorchScript file ({err})", CORRUPT_HINT) from None
    tensors = _tensors(root) if root is not None else {}
    infos, params, by_dtype = [], 0, {}
    for name, meta in tensors.items():
        numel = 1
        for d in meta.shape:
            numel *= d
        infos.append(TensorInfo(name, meta.dtype, meta.shape))
        params += numel
        by_dtype[meta.dtype] = by_dtype.get(meta.dtype, 0) + numel * meta.size
    inputs, outputs = _signature(sources, getattr(root, "qualname", "")) if root is not None else ([], [])
    notes = [f"{path.name} is a program: export, validate and bench run it only with --trust-code"]
    if _has_setstate(sources):
        notes.append(f"{path.name} defines __setstate__, code that loading the file runs")
    if unread:
        notes.append(f"tensors not listed: data.pkl was not read ({unread})")
    refusal = scan_sources(path, sources)
    problems = [refusal] if refusal else []
    return InspectResult(path=str(path), format="torchscript", tensors=infos, parameters=params,
                         bytes_by_dtype=by_dtype, total_bytes=sum(by_dtype.values()), files=[str(path)],
                         inputs=inputs, outputs=outputs, problems=problems, notes=notes)


def forward_names(path: Path) -> list:
    """Input names of the forward, read from the source (for hints)."""
    try:
        with zipfile.ZipFile(path) as z:
            names, prefix, pkl = _members(z)
            root, _ = _read_root(path, z, pkl)
            sources = _sources(path, z, names, prefix)
    except (OSError, zipfile.BadZipFile, KeyError, WorkbenchError):
        return []
    return [i.name for i in _signature(sources, getattr(root, "qualname", ""))[0]] if root is not None else []


# --------------------------------------------------------------------------------------------- as a program

def load_script_module(path: Path, trust_code: bool):
    """``torch.jit.load`` of a TorchScript file, for running: refused without ``trust_code``; its source and then
    its loaded graphs are checked against the operator policy first."""
    import torch

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            names, prefix, _ = _members(z)
            sources = _sources(path, z, names, prefix)
    except (OSError, zipfile.BadZipFile, KeyError) as err:
        raise WorkbenchError(f"{path}: not a readable TorchScript file ({err})", CORRUPT_HINT) from None
    refusal = scan_sources(path, sources)
    if refusal:
        raise WorkbenchError(refusal, program_ops._FIX_HINT)
    program_ops.require_trust(path, "TorchScript", trust_code)
    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as err:  # noqa: BLE001
        first = first_line(err, 160)
        raise WorkbenchError(f"{path}: not a readable TorchScript file ({first})", CORRUPT_HINT) from None
    program_ops.check_script_module(path, module)
    return module
