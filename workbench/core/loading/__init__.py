"""Loading and inspecting every supported format, dispatched through the registry's loaders."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError
from workbench.core.specs import ModelSource


def is_user_code(path: str) -> bool:
    """``path/to/model.py:ClassName`` names a class in the user's own code."""
    head, sep, tail = str(path).rpartition(":")
    return bool(sep) and head.endswith(".py") and tail.isidentifier()


def program_kind(path: str) -> Optional[str]:
    """"Python code", "TorchScript" or "torch.export" when loading ``path`` to run it runs code it contains (so it
    needs trust_code / --trust-code); None for weights, model folders and ONNX files."""
    if is_user_code(path):
        return "Python code"
    p = Path(str(path)).expanduser()
    if not p.is_file():
        return None
    from workbench.core.loading.torch_files import SUFFIXES, kind_of

    if p.suffix.lower() not in SUFFIXES:
        return None
    return {"torchscript": "TorchScript", "torch-export": "torch.export"}.get(kind_of(p))


def _existing(path: str) -> Path:
    from workbench.core.loading.limits import input_path

    return input_path(path)  # a regular file or a folder: never a FIFO, socket or device


def inspect_path(path: str):
    """InspectResult for any supported file or folder (headers only where the format allows)."""
    from workbench.core.registry import default_registry

    if is_user_code(path):  # "model.py:Net": a program, which inspect never runs ("no such file" misled)
        raise WorkbenchError(f"{path} is a program source (model.py:Class): inspect reads files and folders and "
                             "never runs code", "inspect its weights file, or export/validate it with --trust-code")
    p = _existing(path)
    try:
        return default_registry().loader_for(p).inspect(p)
    except RecursionError:
        raise _too_deep(p) from None


def load_model(source: ModelSource, dtype: str = "fp32", shapes: Optional[dict] = None):
    """Build the torch model a source describes, as a LoadedModel (see loading/model.py)."""
    from workbench.core.registry import default_registry

    if is_user_code(source.path):
        from workbench.core.loading.user_code import load_user_code

        return load_user_code(source, dtype, shapes or {})
    p = _existing(source.path)
    loader = default_registry().loader_for(p)
    if loader.load is None:
        raise WorkbenchError(f"{source.path}: a {loader.name} file holds no model to run",
                             "export from the PyTorch model or its Hugging Face folder instead")
    try:
        return loader.load(source, dtype, shapes or {})
    except RecursionError:
        raise _too_deep(p) from None


def _too_deep(path: Path) -> WorkbenchError:
    return WorkbenchError(f"{path}: nested too deeply to read (Python's recursion limit was reached)",
                          "the file is corrupt or crafted; re-download it or re-save it as safetensors")
