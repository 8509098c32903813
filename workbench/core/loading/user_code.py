"""The user's own ``path/to/model.py:ClassName``: the file is imported (its code runs) only with ``trust_code``;
``weights`` is read weights-only (safetensors, or a state dict through torch_pickle.safe_load)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError


def shape_hint(names: list) -> str:
    name = names[0] if names else "x"
    return f"give each input's shape, e.g. --shape {name}=2x3x32x32"


def _load_weights(path: Path) -> dict:
    from workbench.core.loading.limits import regular_file

    path = regular_file(path, "weights file", "check the --weights path")  # never a FIFO or device
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        from workbench.core.loading.safetensors_read import read_header

        read_header(path)  # a clear message for a damaged file
        return load_file(str(path), device="cpu")
    from workbench.core.loading.torch_pickle import kind_of, safe_load, state_dict_of

    if kind_of(path) != "pytorch":
        raise WorkbenchError(f"{path}: a TorchScript / torch.export file is not a state dict",
                             "give the model's state dict (.pt/.bin/.safetensors) as --weights")
    return state_dict_of(safe_load(path))


def _import_user_file(file: Path):
    name = f"workbench_user_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise WorkbenchError(f"{file}: cannot be imported as Python", "give a .py file")
    module = importlib.util.module_from_spec(spec)
    folder = str(file.parent.resolve())
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)  # so the file can import its neighbours
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - the user's code can raise anything
        sys.modules.pop(name, None)
        raise WorkbenchError(f"{file}: importing it failed ({type(err).__name__}: {str(err)[:200]})",
                             "fix the error in the file and try again") from err
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)
    return module


def _mismatch_error(weights: Path, cls_name: str, missing: list, unexpected: list) -> WorkbenchError:
    parts = []
    if missing:
        parts.append(f"missing {len(missing)} keys ({', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''})")
    if unexpected:
        parts.append(f"unexpected {len(unexpected)} keys ({', '.join(unexpected[:4])}"
                     f"{' ...' if len(unexpected) > 4 else ''})")
    return WorkbenchError(f"{weights} does not match {cls_name}: {'; '.join(parts)}",
                          "the key names must equal model.state_dict() names — check the weights belong to this "
                          "class, or strip a 'model.' / 'module.' prefix a wrapper added")


def load_user_code(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    """``path/to/model.py:ClassName``: runs the user's file (only with ``trust_code``), loads ``weights``."""
    import torch

    from workbench.core.loading.model import wrap_module

    file_part, _, cls_name = str(source.path).rpartition(":")
    if not source.trust_code:
        raise WorkbenchError(f"{source.path} runs the code in {Path(file_part).name}",
                             "pass --trust-code to allow it (only for code you trust)")
    file = Path(file_part).expanduser()
    if not file.is_file():
        raise WorkbenchError(f"{file}: no such file", "check the path before ':ClassName'")
    module_ns = _import_user_file(file)
    cls = getattr(module_ns, cls_name, None)
    if cls is None:
        raise WorkbenchError(f"{file} defines no '{cls_name}'", "check the class name after the ':'")
    try:
        model = cls()
    except TypeError as err:
        maker = getattr(module_ns, "make_model", None)
        if not callable(maker):
            raise WorkbenchError(f"{cls_name}() cannot be built without arguments ({err})",
                                 f"give its arguments defaults, or define make_model() in {file.name}") from err
        model = maker()
    except Exception as err:  # noqa: BLE001
        raise WorkbenchError(f"{cls_name}() failed ({type(err).__name__}: {str(err)[:200]})",
                             "fix the constructor and try again") from err
    if not isinstance(model, torch.nn.Module):
        raise WorkbenchError(f"{cls_name} is not a torch.nn.Module", "name an nn.Module subclass")
    if source.weights:
        weights = Path(source.weights).expanduser()
        state = _load_weights(weights)
        expected = set(model.state_dict())
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if missing or unexpected:
            raise _mismatch_error(weights, cls_name, missing, unexpected)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:
            detail = " ".join(line.strip() for line in str(err).splitlines()[1:3])
            raise WorkbenchError(f"{weights} does not fit {cls_name}: {detail[:300]}",
                                 "the weights were saved from a differently sized model — check the "
                                 "constructor arguments") from None
    if not shapes:
        shapes = dict(getattr(model, "example_input_shapes", None) or {})
    if not shapes:
        from workbench.core.loading.model import forward_names

        raise WorkbenchError(f"{cls_name} has no example input shapes",
                             shape_hint(forward_names(model)) + " or set example_input_shapes on the class")
    return wrap_module(model, {k: list(v) for k, v in shapes.items()}, dtype,
                       description=f"{cls_name} from {file.name}")


