"""Pickled PyTorch checkpoints (.pt/.pth/.bin/.ckpt and sharded ``pytorch_model.bin.index.json``), read as data:
the state dict's tensors, weights-only. Also tells a pickle from the other torch zip layouts (torch.export,
TorchScript), which user code and the folder inspection need without the loader above them (torch_files.py).

Pickled checkpoints are read ONLY through ``torch.load(weights_only=True)``: its unpickler rebuilds tensors and
plain containers and refuses every other global, so nothing in the file can run. A file that needs more (a pickled
``nn.Module``, or a crafted ``os.system`` payload) is refused, naming the global it asked for.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import re
import zipfile
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.results import InspectResult, TensorInfo

BIN_INDEX_SUFFIX = ".bin.index.json"
NESTED_KEYS = ("state_dict", "model", "module", "model_state_dict")
CORRUPT_HINT = "the file may be truncated or corrupt, or not a PyTorch file — re-download or re-save it"
REFUSE_HINT = "re-save it as a plain state dict or safetensors in a trusted environment"
# Globals a weights-only checkpoint legitimately references; anything else named in a refused pickle is reported.
_BENIGN_GLOBAL_PREFIXES = ("torch._utils.", "torch.serialization.", "collections.OrderedDict", "torch.storage",
                           "torch._tensor.", "torch.nn.parameter.Parameter", "builtins.set", "builtins.frozenset",
                           "builtins.bytearray", "_codecs.encode", "numpy.core.multiarray._reconstruct",
                           "numpy._core.multiarray._reconstruct", "numpy.dtype", "numpy.ndarray")
GLOBAL_IN_ERROR = re.compile(r"GLOBAL ([\w.<>]+)")


# --------------------------------------------------------------------------------------------------- detection

def zip_names(path: Path) -> list:
    try:
        if not zipfile.is_zipfile(path):
            return []
        with zipfile.ZipFile(path) as z:
            return z.namelist()
    except (OSError, zipfile.BadZipFile):
        return []


def kind_of(path: Path) -> str:
    """"torch-export", "torchscript" or "pytorch" (a pickled checkpoint, zip or legacy format)."""
    names = zip_names(path)
    if any(n.endswith("/archive_format") for n in names) or any("/models/" in n and n.endswith(".json")
                                                               for n in names):
        return "torch-export"
    if any("/code/" in n for n in names) or any(n.endswith("/constants.pkl") for n in names):
        return "torchscript"
    return "pytorch"


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
    match = GLOBAL_IN_ERROR.search(message)
    if match:
        return match.group(1)
    try:
        names = zip_names(path)
        if names:
            with zipfile.ZipFile(path) as z:
                pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
                data = z.read(pkl) if pkl else b""
        else:
            with open(path, "rb") as f:  # a legacy pickle's globals come first: 64 MB is plenty, never the file
                data = f.read(64 * 1024 * 1024)
    except (OSError, zipfile.BadZipFile):
        return None
    suspicious = [g for g in _pickle_globals(data) if not g.startswith(_BENIGN_GLOBAL_PREFIXES)]
    return suspicious[0] if suspicious else None


def culprit_in_pickle(data: bytes, message: str = "") -> Optional[str]:
    """The first non-tensor global a pickle (or a torch.save zip's data.pkl) references; only parsed, never run."""
    match = GLOBAL_IN_ERROR.search(message)
    if match:
        return match.group(1)
    try:
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                pkl = next((n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"), None)
                data = z.read(pkl) if pkl else b""
    except (OSError, zipfile.BadZipFile):
        return None
    suspicious = [g for g in _pickle_globals(data) if not g.startswith(_BENIGN_GLOBAL_PREFIXES)]
    return suspicious[0] if suspicious else None


def safe_load(path: str | Path):
    """``torch.load`` with ``weights_only=True`` (memory-mapped for zip checkpoints); nothing in the file runs."""
    import torch

    from workbench.core.loading.limits import check_pickle

    path = Path(path)
    check_pickle(path)  # a regular file whose pickle stays within the bounds of a state dict
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
        first = first_line(err, 160)
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
    from workbench.core.loading.safetensors_read import read_index

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
