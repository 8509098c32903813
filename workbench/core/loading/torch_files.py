"""PyTorch files: state dicts (.pt/.pth/.bin/.ckpt), torch.export archives (.pt2), TorchScript, and the user's own
``model.py:ClassName``.

Pickled checkpoints are read ONLY through ``torch.load(weights_only=True)``: its unpickler rebuilds tensors and
plain containers and refuses every other global, so nothing in the file can run. A file that needs more (a pickled
``nn.Module``, or a crafted ``os.system`` payload) is refused, naming the global it asked for.
"""

from __future__ import annotations

import importlib.util
import pickle
import pickletools
import re
import sys
import threading
import zipfile
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError
from workbench.core.results import InspectResult, TensorInfo

SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pt2", ".ptl", ".jit", ".torchscript")
BIN_INDEX_SUFFIX = ".bin.index.json"
NESTED_KEYS = ("state_dict", "model", "module", "model_state_dict")
CORRUPT_HINT = "the file may be truncated or corrupt, or not a PyTorch file — re-download or re-save it"
REFUSE_HINT = "re-save it as a plain state dict or safetensors in a trusted environment"
# Globals a weights-only checkpoint legitimately references; anything else named in a refused pickle is reported.
_BENIGN_GLOBAL_PREFIXES = ("torch._utils.", "torch.serialization.", "collections.OrderedDict", "torch.storage",
                           "torch._tensor.", "torch.nn.parameter.Parameter", "builtins.set", "builtins.frozenset",
                           "builtins.bytearray", "_codecs.encode", "numpy.core.multiarray._reconstruct",
                           "numpy._core.multiarray._reconstruct", "numpy.dtype", "numpy.ndarray")
_GLOBAL_IN_ERROR = re.compile(r"GLOBAL ([\w.<>]+)")


# --------------------------------------------------------------------------------------------------- detection

def _zip_names(path: Path) -> list:
    try:
        if not zipfile.is_zipfile(path):
            return []
        with zipfile.ZipFile(path) as z:
            return z.namelist()
    except (OSError, zipfile.BadZipFile):
        return []


def kind_of(path: Path) -> str:
    """"torch-export", "torchscript" or "pytorch" (a pickled checkpoint, zip or legacy format)."""
    names = _zip_names(path)
    if any(n.endswith("/archive_format") for n in names) or any("/models/" in n and n.endswith(".json")
                                                               for n in names):
        return "torch-export"
    if any("/code/" in n for n in names) or any(n.endswith("/constants.pkl") for n in names):
        return "torchscript"
    return "pytorch"


def can_load(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in SUFFIXES or path.name.endswith(BIN_INDEX_SUFFIX)
    if path.is_dir() and not (path / "config.json").exists():
        return any(p.suffix.lower() in (".bin", ".pt", ".pth", ".ckpt") for p in path.iterdir() if p.is_file())
    return False


# ------------------------------------------------------------------------------------------- safe torch.load

def _pickle_globals(data: bytes) -> list:
    """Globals a pickle references, read with pickletools (which only parses; nothing is built or run)."""
    found, strings = [], []
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in ("GLOBAL", "INST"):
                found.append(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:  # noqa: BLE001 - a damaged pickle: report what was seen before the damage
        pass
    return found


def _refused_global(path: Path, message: str) -> Optional[str]:
    match = _GLOBAL_IN_ERROR.search(message)
    if match:
        return match.group(1)
    try:
        names = _zip_names(path)
        if names:
            with zipfile.ZipFile(path) as z:
                pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
                data = z.read(pkl) if pkl else b""
        else:
            data = path.read_bytes()[: 64 * 1024 * 1024]
    except (OSError, zipfile.BadZipFile):
        return None
    suspicious = [g for g in _pickle_globals(data) if not g.startswith(_BENIGN_GLOBAL_PREFIXES)]
    return suspicious[0] if suspicious else None


def safe_load(path: str | Path):
    """``torch.load`` with ``weights_only=True`` (memory-mapped for zip checkpoints); nothing in the file runs."""
    import torch

    path = Path(path)
    use_mmap = zipfile.is_zipfile(path)
    try:
        return torch.load(path, weights_only=True, map_location="cpu", mmap=use_mmap)
    except pickle.UnpicklingError as err:
        culprit = _refused_global(path, str(err))
        if culprit:
            raise WorkbenchError(
                f"{path} needs full unpickling (it references {culprit}), which can run arbitrary code; "
                f"the workbench refuses to load it", REFUSE_HINT) from None
        reason = next((line.strip() for line in reversed(str(err).splitlines())
                       if line.strip() and "documentation" not in line), type(err).__name__)
        raise WorkbenchError(f"{path}: not a readable PyTorch checkpoint ({reason[:160]})", CORRUPT_HINT) from None
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror or err}", "check the file's permissions") from err
    except Exception as err:  # noqa: BLE001 - torch raises RuntimeError, KeyError, EOFError... for damaged files
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise WorkbenchError(f"{path}: not a readable PyTorch checkpoint ({type(err).__name__}: {first})",
                             CORRUPT_HINT) from None


def state_dict_of(obj) -> dict:
    """The tensors of a checkpoint, flattened to dotted names; looks inside 'state_dict' / 'model' wrappers."""
    import torch

    if isinstance(obj, dict):
        for key in NESTED_KEYS:
            inner = obj.get(key)
            if isinstance(inner, dict) and any(isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
    out: dict = {}

    def walk(value, prefix):
        if isinstance(value, torch.Tensor):
            out[prefix] = value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))

    walk(obj, "")
    return out


def _tensor_summary(tensors: dict) -> tuple:
    infos, params, by_dtype = [], 0, {}
    for name, t in tensors.items():
        dtype = str(t.dtype).removeprefix("torch.")
        infos.append(TensorInfo(name, dtype, list(t.shape)))
        params += t.numel()
        by_dtype[dtype] = by_dtype.get(dtype, 0) + t.numel() * t.element_size()
    return infos, params, by_dtype


def _scalars(obj) -> dict:
    if not isinstance(obj, dict):
        return {}
    return {str(k): v for k, v in obj.items() if isinstance(v, (int, float, str, bool))}


def inspect_checkpoint(path: Path) -> InspectResult:
    obj = safe_load(path)
    tensors = state_dict_of(obj)
    infos, params, by_dtype = _tensor_summary(tensors)
    return InspectResult(path=str(path), format="pytorch", tensors=infos, parameters=params,
                         bytes_by_dtype=by_dtype, total_bytes=sum(by_dtype.values()), metadata=_scalars(obj),
                         files=[str(path)])


def inspect_bin_index(path: Path) -> InspectResult:
    """``pytorch_model.bin.index.json``: every shard must exist and hold the tensors mapped to it."""
    from workbench.core.loading.safetensors_files import read_index

    index = read_index(path)
    by_shard: dict = {}
    for tensor, shard in index["weight_map"].items():
        by_shard.setdefault(shard, set()).add(tensor)
    missing = [s for s in sorted(by_shard) if not (path.parent / s).is_file()]
    if by_shard and len(missing) == len(by_shard):
        raise WorkbenchError(f"{path}: none of the {len(by_shard)} shards it lists is present (e.g. {missing[0]})",
                             f"download the shard files into {path.parent}")
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(by_shard)} weight shards listed in {path.name} "
                        f"{'is' if len(missing) == 1 else 'are'} missing "
                        f"({', '.join(missing[:3])}); download them into the same folder")
    result = InspectResult(path=str(path), format="pytorch", parameters=0, metadata=dict(index["metadata"]),
                           files=[str(path)], problems=problems)
    for shard in sorted(set(by_shard) - set(missing)):
        part = inspect_checkpoint(path.parent / shard)
        result.files.append(part.files[0])
        result.tensors.extend(part.tensors)
        result.parameters += part.parameters
        for k, v in part.bytes_by_dtype.items():
            result.bytes_by_dtype[k] = result.bytes_by_dtype.get(k, 0) + v
        absent = by_shard[shard] - {t.name for t in part.tensors}
        if absent:
            problems.append(f"{len(absent)} tensors that {path.name} places in {shard} are not in it; the shard "
                            f"does not match the index — re-download both")
    result.total_bytes = sum(result.bytes_by_dtype.values())
    return result


def weights_in_folder(folder: Path) -> Optional[InspectResult]:
    """The PyTorch weights of a folder (pytorch_model.bin or its sharded index), or None when it holds none."""
    indexes = sorted(folder.glob("*" + BIN_INDEX_SUFFIX))
    if indexes:
        return inspect_bin_index(indexes[0])
    for name in ("pytorch_model.bin", "model.bin", "model.pt", "model.pth"):
        if (folder / name).is_file():
            return inspect_checkpoint(folder / name)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".bin", ".pt", ".pth"))
    return inspect_checkpoint(files[0]) if files else None


# ------------------------------------------------------------------------------------------------ TorchScript

def _torchscript(path: Path):
    import torch

    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as err:  # noqa: BLE001
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise WorkbenchError(f"{path}: not a readable TorchScript file ({first})", CORRUPT_HINT) from None


def _script_args(module) -> list:
    try:
        return [a for a in module.forward.schema.arguments if a.name != "self"]
    except (AttributeError, RuntimeError):
        return []


def inspect_torchscript(path: Path) -> InspectResult:
    module = _torchscript(path)
    infos, params, by_dtype = _tensor_summary(dict(module.state_dict()))
    inputs = [TensorInfo(a.name, str(a.type), []) for a in _script_args(module)]
    try:
        outputs = [TensorInfo(f"output_{i}", str(r.type), []) for i, r in enumerate(module.forward.schema.returns)]
    except (AttributeError, RuntimeError):
        outputs = []
    return InspectResult(path=str(path), format="torchscript", tensors=infos, parameters=params,
                         bytes_by_dtype=by_dtype, total_bytes=sum(by_dtype.values()), files=[str(path)],
                         inputs=inputs, outputs=outputs)


# -------------------------------------------------------------------------------------------- torch.export

_export_lock = threading.Lock()


class _NoPickle:
    """Stands in for the pickle module inside torch's .pt2 reader: opaque pickled objects are refused."""

    def __getattr__(self, name):
        return getattr(pickle, name)

    @staticmethod
    def loads(*_args, **_kwargs):
        raise pickle.UnpicklingError("GLOBAL <a pickled opaque object> refused")

    load = loads


def _export_load(path: Path):
    """``torch.export.load`` with every pickle inside the archive held to ``weights_only=True``.

    torch's .pt2 reader falls back to ``torch.load(weights_only=False)`` and ``pickle.loads`` for some payloads;
    both would run code from the file. For the duration of the call (under a lock) ``torch.load`` is forced to
    weights-only and the reader's ``pickle`` is replaced by one that refuses.
    """
    import torch
    from torch.export.pt2_archive import _package

    real_load = torch.load

    def weights_only_load(*args, **kwargs):
        kwargs["weights_only"] = True
        return real_load(*args, **kwargs)

    with _export_lock:
        saved_pickle = _package.pickle
        torch.load, _package.pickle = weights_only_load, _NoPickle()
        try:
            ep = torch.export.load(str(path))
        except pickle.UnpicklingError as err:
            match = _GLOBAL_IN_ERROR.search(str(err))
            culprit = match.group(1) if match else "a pickled object"
            raise WorkbenchError(
                f"{path} needs full unpickling (it references {culprit}), which can run arbitrary code; "
                f"the workbench refuses to load it", REFUSE_HINT) from None
        except WorkbenchError:
            raise
        except Exception as err:  # noqa: BLE001
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
            raise WorkbenchError(f"{path}: not a readable torch.export archive ({first})",
                                 "re-export it with torch.export.save in this PyTorch version") from None
        finally:
            torch.load, _package.pickle = real_load, saved_pickle
    _check_export_targets(path, ep)
    return ep


def _check_export_targets(path: Path, ep) -> None:
    """Refuse graphs that call anything but torch operators (a crafted archive could name any torch function)."""
    import math
    import operator

    import torch

    allowed_types = (torch._ops.OpOverload, torch._ops.OpOverloadPacket, torch._ops.HigherOrderOperator)
    # operator.call / methodcaller / attrgetter would call or reach anything: not allowed
    unsafe = {"call", "methodcaller", "attrgetter", "itemgetter"}
    allowed_ids = {id(getattr(operator, n)) for n in dir(operator) if not n.startswith("_") and n not in unsafe}
    allowed_ids |= {id(getattr(math, n)) for n in dir(math) if callable(getattr(math, n))}
    for gm in ep.graph_module.modules():
        graph = getattr(gm, "graph", None)
        if graph is None:
            continue
        for node in graph.nodes:
            if node.op != "call_function":
                continue
            target = node.target
            symbolic = (getattr(target, "__module__", None) or "").startswith("torch") and \
                (getattr(target, "__name__", None) or "").startswith(("sym_", "_sym_"))
            if not (isinstance(target, allowed_types) or id(target) in allowed_ids or symbolic):
                raise WorkbenchError(f"{path}: the exported graph calls {target!r}, which is not a torch operator; "
                                     f"the workbench refuses to run it", "re-export the model with torch.export")


def _export_io(ep) -> tuple:
    """User inputs and outputs with dtype and shape from the graph's metadata (symbolic dims as strings)."""
    def info(node_name: str, fallback: str):
        node = nodes.get(node_name)
        val = node.meta.get("val") if node is not None else None
        if hasattr(val, "shape"):
            shape = [int(d) if isinstance(d, int) or str(d).isdigit() else str(d) for d in val.shape]
            return TensorInfo(fallback, str(val.dtype).removeprefix("torch."), shape)
        return TensorInfo(fallback, type(val).__name__ if val is not None else "?", [])

    nodes = {n.name: n for n in ep.graph.nodes}
    output_node = next((n for n in ep.graph.nodes if n.op == "output"), None)
    if output_node is not None:
        for arg in output_node.args[0] if isinstance(output_node.args[0], (tuple, list)) else [output_node.args[0]]:
            if hasattr(arg, "name"):
                nodes.setdefault(arg.name, arg)
    inputs = [info(name, name) for name in ep.graph_signature.user_inputs]
    outputs = [info(name, name) for name in ep.graph_signature.user_outputs if isinstance(name, str)]
    return inputs, outputs


def inspect_export(path: Path) -> InspectResult:
    ep = _export_load(path)
    tensors = {**dict(ep.state_dict), **{k: v for k, v in ep.constants.items() if hasattr(v, "numel")}}
    infos, params, by_dtype = _tensor_summary(tensors)
    inputs, outputs = _export_io(ep)
    return InspectResult(path=str(path), format="torch-export", tensors=infos, parameters=params,
                         bytes_by_dtype=by_dtype, total_bytes=sum(by_dtype.values()), files=[str(path)],
                         inputs=inputs, outputs=outputs)


# --------------------------------------------------------------------------------------------- registry hooks

def inspect(path: Path) -> InspectResult:
    path = Path(path)
    if path.is_dir():
        result = weights_in_folder(path)
        if result is None:
            raise WorkbenchError(f"{path}: no PyTorch checkpoint in this folder", "give a file or another folder")
        return result
    if path.name.endswith(BIN_INDEX_SUFFIX):
        return inspect_bin_index(path)
    kind = kind_of(path)
    if kind == "torch-export":
        return inspect_export(path)
    if kind == "torchscript":
        return inspect_torchscript(path)
    return inspect_checkpoint(path)


def _shape_hint(names: list) -> str:
    name = names[0] if names else "x"
    return f"give each input's shape, e.g. --shape {name}=2x3x32x32"


def load(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    from workbench.core.loading.model import load_hf_model, wrap_module

    path = Path(source.path).expanduser()
    shapes = dict(shapes or {})
    kind = "pytorch" if path.is_dir() or path.name.endswith(BIN_INDEX_SUFFIX) else kind_of(path)
    if kind == "torch-export":
        ep = _export_load(path)
        if not shapes:
            inputs, _ = _export_io(ep)
            if inputs and all(i.shape and all(isinstance(d, int) for d in i.shape) for i in inputs):
                shapes = {i.name: list(i.shape) for i in inputs}
            else:
                raise WorkbenchError(f"{path}: the archive has no example input shapes",
                                     _shape_hint(list(ep.graph_signature.user_inputs)))
        module = ep.module()
        # ep.module() makes train()/eval() raise (the graph's mode was fixed at export time); the wrapper and the
        # exporters call eval(), so give back the harmless nn.Module methods, which only set the flag.
        for name in ("train", "eval"):
            module.__dict__.pop(name, None)
        return wrap_module(module, shapes, dtype, description=f"torch.export archive {path.name}")
    if kind == "torchscript":
        module = _torchscript(path)
        if not shapes:
            raise WorkbenchError(f"{path}: a TorchScript file carries no input shapes",
                                 _shape_hint([a.name for a in _script_args(module)]))
        return wrap_module(module, shapes, dtype, description=f"TorchScript {path.name}")
    folder = path if path.is_dir() else path.parent
    if (folder / "config.json").is_file():
        return load_hf_model(folder, dtype, source.task, source.family_options)
    inspect(path)  # a refused or damaged file says so before the "no architecture" message
    from workbench.core.loading.safetensors_files import no_architecture_error

    raise no_architecture_error(source.path)


# ---------------------------------------------------------------------------------------------- user code

def _load_weights(path: Path) -> dict:
    if not path.exists():
        raise WorkbenchError(f"{path}: no such weights file", "check the --weights path")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        from workbench.core.loading.safetensors_files import read_header

        read_header(path)  # a clear message for a damaged file
        return load_file(str(path), device="cpu")
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
        from workbench.core.loading.model import _forward_names

        raise WorkbenchError(f"{cls_name} has no example input shapes",
                             _shape_hint(_forward_names(model)) + " or set example_input_shapes on the class")
    return wrap_module(model, {k: list(v) for k, v in shapes.items()}, dtype,
                       description=f"{cls_name} from {file.name}")


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="torch_files", can_load=can_load, inspect=inspect, load=load))
