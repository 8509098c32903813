"""The ``torch_files`` loader: PyTorch files of every kind, told apart by their content and handed to the module
that reads that format: pickled state dicts (torch_pickle.py), torch.export archives (pt2_archive.py), TorchScript
(torchscript_files.py) and the user's own ``model.py:ClassName`` (user_code.py). A .pt2 or TorchScript file is a
program and loads only with ``--trust-code``; a checkpoint in a Hugging Face folder loads as that folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError
from workbench.core.loading import torchscript_files
from workbench.core.loading.pt2_archive import export_io, inspect_export, load_exported_program
from workbench.core.loading.torch_pickle import (BIN_INDEX_SUFFIX, inspect_bin_index, inspect_checkpoint, kind_of,
                                                 safe_load, state_dict_of, weights_in_folder)
from workbench.core.loading.torchscript_files import inspect_torchscript, load_script_module
from workbench.core.loading.user_code import shape_hint
from workbench.core.loading.weights_hooks import config_folder, inspect_weights
from workbench.core.results import InspectResult

SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pt2", ".ptl", ".jit", ".torchscript")
# safe_load and state_dict_of stay importable from here: plugins read checkpoints through them.
__all__ = ["SUFFIXES", "can_load", "inspect", "kind_of", "load", "load_user_code", "register", "safe_load",
           "state_dict_of"]


def can_load(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in SUFFIXES or path.name.endswith(BIN_INDEX_SUFFIX)
    if path.is_dir() and not (path / "config.json").exists():
        return any(p.suffix.lower() in (".bin", ".pt", ".pth", ".ckpt") for p in path.iterdir() if p.is_file())
    return False


# --------------------------------------------------------------------------------------------- registry hooks

def inspect(path: Path) -> InspectResult:
    """What the file holds, read as data: nothing in a .pt2 or TorchScript file is loaded as code here."""
    return inspect_weights(path, "PyTorch checkpoint", BIN_INDEX_SUFFIX, weights_in_folder, inspect_bin_index,
                           _inspect_file)


def _inspect_file(path: Path) -> InspectResult:
    kind = kind_of(path)
    if kind == "torch-export":
        return inspect_export(path)
    if kind == "torchscript":
        return inspect_torchscript(path)
    return inspect_checkpoint(path)


def load(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    """A LoadedModel; a .pt2 or TorchScript file is a program and loads only with ``source.trust_code``."""
    from workbench.core.loading.model import wrap_module

    path = Path(source.path).expanduser()
    shapes = dict(shapes or {})
    kind = "pytorch" if path.is_dir() or path.name.endswith(BIN_INDEX_SUFFIX) else kind_of(path)
    if kind == "torch-export":
        return _load_export(path, source.trust_code, shapes, dtype)
    if kind == "torchscript":
        module = load_script_module(path, source.trust_code)
        if not shapes:
            raise WorkbenchError(f"{path}: a TorchScript file carries no input shapes",
                                 shape_hint(torchscript_files.forward_names(path)))
        return wrap_module(module, shapes, dtype, description=f"TorchScript {path.name}")
    folder = config_folder(path)
    if folder is not None:
        from workbench.core.loading.hf_folder import load_hf_model

        return load_hf_model(folder, dtype, source.task, source.family_options)
    inspect(path)  # a refused or damaged file says so before the "no architecture" message
    from workbench.core.loading.safetensors_read import no_architecture_error

    raise no_architecture_error(source.path)


def _load_export(path: Path, trust_code: bool, shapes: dict, dtype: str):
    from workbench.core.loading.model import wrap_module

    ep = load_exported_program(path, trust_code)
    if not shapes:
        inputs, _ = export_io(ep)
        samples = _sample_shapes(ep)
        if inputs and all(i.shape and all(isinstance(d, int) for d in i.shape) for i in inputs):
            shapes = {i.name: list(i.shape) for i in inputs}
        elif inputs and len(samples) == len(inputs):  # dynamic dims: the archive's own example inputs
            shapes = {i.name: shape for i, shape in zip(inputs, samples)}
        else:
            raise WorkbenchError(f"{path}: the archive has no example input shapes",
                                 shape_hint(list(ep.graph_signature.user_inputs)))
    module = ep.module()
    # ep.module() makes train()/eval() raise (the graph's mode was fixed at export time); the wrapper and the
    # exporters call eval(), so give back the harmless nn.Module methods, which only set the flag.
    for name in ("train", "eval"):
        module.__dict__.pop(name, None)
    return wrap_module(module, shapes, dtype, description=f"torch.export archive {path.name}")


def _sample_shapes(ep) -> list:
    """Shapes of the positional tensors among the program's stored example inputs (loaded weights-only)."""
    try:
        args, kwargs = ep.example_inputs or ((), {})
    except (TypeError, ValueError):
        return []
    tensors = [a for a in args if hasattr(a, "shape")]
    if kwargs or len(tensors) != len(args):
        return []
    return [list(t.shape) for t in tensors]


def load_user_code(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    """``path/to/model.py:ClassName`` (see user_code.py): runs the user's file only with ``trust_code``."""
    from workbench.core.loading.user_code import load_user_code as load_code

    return load_code(source, dtype, shapes)


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="torch_files", can_load=can_load, inspect=inspect, load=load))
