"""Safetensors files and sharded checkpoints (``model.safetensors.index.json``), read from the headers only (the
``safetensors_files`` loader's hooks are in safetensors_files.py; the folder inspection reads weights from here).

The header is read by hand on purpose: ``safetensors.safe_open`` memory-maps the whole file and validates lazily,
while inspection needs only the 8-byte length and the JSON header, and must take milliseconds on a 10 GB
checkpoint. The checks mirror the safetensors format rules (header size limit, offsets inside the file, contiguous
data whose size matches dtype x shape), so a file this module accepts is one that safetensors itself can open.

Size: just over 300 lines: the header checks (fast and strict) and the index/shard reading are one format's
rules, kept together so a file accepted here is one safetensors opens.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.results import InspectResult, TensorInfo

MAX_HEADER_BYTES = 100 * 1000 * 1000  # the limit safetensors itself enforces
INDEX_SUFFIX = ".safetensors.index.json"
CORRUPT_HINT = "the file may be truncated or corrupt — re-download it"

# safetensors dtype -> (name used across the workbench, matching torch / config.json, bits per element)
DTYPES = {
    "BOOL": ("bool", 8),
    "U8": ("uint8", 8),
    "I8": ("int8", 8),
    "F8_E5M2": ("float8_e5m2", 8),
    "F8_E4M3": ("float8_e4m3fn", 8),
    "F8_E8M0": ("float8_e8m0fnu", 8),
    "I16": ("int16", 16),
    "U16": ("uint16", 16),
    "F16": ("float16", 16),
    "BF16": ("bfloat16", 16),
    "I32": ("int32", 32),
    "U32": ("uint32", 32),
    "F32": ("float32", 32),
    "C64": ("complex64", 64),
    "F64": ("float64", 64),
    "I64": ("int64", 64),
    "U64": ("uint64", 64),
    "F4": ("float4_e2m1", 4),
    "F6_E2M3": ("float6_e2m3", 6),
    "F6_E3M2": ("float6_e3m2", 6),
}


@dataclass
class Header:
    """What one safetensors file holds, from its header: tensors in storage order, metadata, byte counts."""

    path: Path
    tensors: list = field(default_factory=list)  # [TensorInfo]
    metadata: dict = field(default_factory=dict)
    parameters: int = 0
    bytes_by_dtype: dict = field(default_factory=dict)
    total_bytes: int = 0


def _invalid(path: Path, reason: str) -> WorkbenchError:
    return WorkbenchError(f"{path}: not a valid safetensors file ({reason})", CORRUPT_HINT)


def _is_uint(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_header(path: str | os.PathLike) -> Header:
    """Read and validate one safetensors header; raises WorkbenchError for anything safetensors would refuse."""
    from workbench.core.loading.limits import regular_file

    path = regular_file(path, "safetensors file")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise _invalid(path, f"{size} bytes, shorter than the 8-byte header length")
            (n,) = struct.unpack("<Q", f.read(8))
            if n > MAX_HEADER_BYTES:
                raise _invalid(path, f"header length {n} bytes is over the 100 MB limit")
            if 8 + n > size:
                raise _invalid(path, f"header length {n} bytes runs past the end of the {size}-byte file")
            raw = f.read(n)
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror or err}", "check the file's permissions") from err
    if len(raw) != n:
        raise _invalid(path, "the header is cut short")
    try:
        header = json.loads(raw.decode("utf-8"))  # strict UTF-8, as safetensors requires
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # RecursionError: JSON nested too deep
        raise _invalid(path, f"the header is not JSON: {first_line(err, 120)}") from None
    if not isinstance(header, dict):
        raise _invalid(path, "the header is not a JSON object")
    if b"\\ud" in raw.lower():  # Python's json accepts an unpaired surrogate escape; safetensors (serde) does not
        try:
            json.dumps(header, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise _invalid(path, "the header holds an unpaired UTF-16 surrogate escape") from None

    data_size = size - 8 - n
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _invalid(path, "__metadata__ is not a map of strings")

    out = Header(path=path, metadata=dict(metadata), total_bytes=data_size)
    if not _fast_check(header, data_size, out):
        _strict_check(path, header, data_size, out)
    return out


def _fast_check(header: dict, data_size: int, out: Header) -> bool:
    """Validate a well-formed header with whole-list operations (a 3,000-tensor header in a few ms).

    Returns False at the first thing that is off, without saying what: ``_strict_check`` then goes entry by entry
    and names the problem (or accepts what this quick pass could not, e.g. zero-size tensors sharing an offset)."""
    entries = list(header.values())
    if set(map(type, entries)) - {dict}:
        return False
    try:
        dtypes = [e["dtype"] for e in entries]
        shapes = [e["shape"] for e in entries]
        offsets = [e["data_offsets"] for e in entries]
    except KeyError:
        return False
    if (set(map(type, dtypes)) - {str} or not set(dtypes) <= DTYPES.keys() or set(map(type, shapes)) - {list}
            or set(map(type, offsets)) - {list} or set(map(len, offsets)) - {2}):
        return False
    dims = list(itertools.chain.from_iterable(shapes))
    flat_offsets = list(itertools.chain.from_iterable(offsets))
    # type(...) is int also rejects bools, which JSON true/false would give
    if set(map(type, dims)) - {int} or set(map(type, flat_offsets)) - {int}:
        return False
    if (dims and min(dims) < 0) or (flat_offsets and min(flat_offsets) < 0):
        return False
    numels = list(map(math.prod, shapes))
    nbits = list(map(operator.mul, numels, [DTYPES[d][1] for d in dtypes]))
    begins, ends = flat_offsets[0::2], flat_offsets[1::2]
    spans = list(map(operator.sub, ends, begins))
    if list(map(operator.mul, spans, itertools.repeat(8))) != nbits:
        return False
    order = sorted(zip(begins, ends, range(len(begins))))
    sorted_begins = [o[0] for o in order]
    sorted_ends = [o[1] for o in order]
    if order:
        if sorted_begins[0] != 0 or sorted_begins[1:] != sorted_ends[:-1] or sorted_ends[-1] != data_size:
            return False
    elif data_size:
        return False
    names = list(header)
    out.tensors = [TensorInfo(names[i], DTYPES[dtypes[i]][0], shapes[i]) for _, _, i in order]
    out.parameters = sum(numels)
    by_dtype: dict = {}
    for dtype, span in zip(dtypes, spans):
        by_dtype[dtype] = by_dtype.get(dtype, 0) + span
    out.bytes_by_dtype = {DTYPES[k][0]: v for k, v in by_dtype.items()}
    return True


def _strict_check(path: Path, header: dict, data_size: int, out: Header) -> None:
    """Entry by entry, naming the first problem; fills ``out`` when there is none."""
    spans, tensors, bytes_by_dtype, parameters = [], [], {}, 0
    for name, entry in header.items():
        if not isinstance(entry, dict):
            raise _invalid(path, f"entry '{name}' is not an object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise _invalid(path, f"tensor '{name}' has unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
            raise _invalid(path, f"tensor '{name}' has a bad shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_uint(o) for o in offsets)
                or offsets[0] > offsets[1]):
            raise _invalid(path, f"tensor '{name}' has bad data_offsets {offsets!r}")
        begin, end = offsets
        if end > data_size:
            raise _invalid(path, f"tensor '{name}' ends at data byte {end} but the file holds only {data_size}")
        torch_name, bits = DTYPES[dtype]
        numel = math.prod(shape)
        nbits = numel * bits
        if nbits % 8 or end - begin != nbits // 8:
            raise _invalid(path, f"tensor '{name}' is {dtype} {shape} ({nbits / 8:g} bytes) but its data_offsets "
                                 f"span {end - begin} bytes")
        spans.append((begin, end, name))
        tensors.append((begin, end, TensorInfo(name, torch_name, list(shape))))
        parameters += numel
        bytes_by_dtype[torch_name] = bytes_by_dtype.get(torch_name, 0) + end - begin

    # safetensors requires the tensors to tile the data section exactly: no gaps, no overlaps, nothing after.
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin != position:
            what = "overlaps the previous tensor" if begin < position else f"leaves a gap at data byte {position}"
            raise _invalid(path, f"tensor '{name}' {what}")
        position = end
    if position != data_size:
        raise _invalid(path, f"{data_size - position} bytes after the last tensor")
    out.tensors = [info for _, _, info in sorted(tensors, key=lambda item: item[:2])]
    out.parameters = parameters
    out.bytes_by_dtype = bytes_by_dtype


def _result_from_headers(path: Path, fmt: str, headers: list, metadata: dict, files: list,
                         problems: Optional[list] = None) -> InspectResult:
    tensors, params, by_dtype, total = [], 0, {}, 0
    for h in headers:
        tensors.extend(h.tensors)
        params += h.parameters
        total += h.total_bytes
        for k, v in h.bytes_by_dtype.items():
            by_dtype[k] = by_dtype.get(k, 0) + v
    return InspectResult(path=str(path), format=fmt, tensors=tensors, parameters=params, bytes_by_dtype=by_dtype,
                         total_bytes=total, metadata=metadata, files=[str(f) for f in files],
                         problems=list(problems or []))


def inspect_file(path: str | os.PathLike) -> InspectResult:
    """One .safetensors file."""
    header = read_header(path)
    return _result_from_headers(Path(path), "safetensors", [header], dict(header.metadata), [Path(path)])


def _examples(names) -> str:
    names = sorted(names)
    shown = ", ".join(f"'{n}'" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def read_index(path: str | os.PathLike) -> dict:
    """The ``weight_map`` and ``metadata`` of a sharded checkpoint's index, validated."""
    from workbench.core.loading.limits import regular_file

    path = regular_file(path, "checkpoint index")
    try:
        index = json.loads(path.read_text("utf-8"))
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror or err}", "check the file's permissions") from err
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise WorkbenchError(f"{path}: not a valid checkpoint index (not JSON: {first_line(err, 120)})",
                             "re-download the index file") from None
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or set(map(type, weight_map.values())) - {str}:
        raise WorkbenchError(f"{path}: not a valid checkpoint index (no weight_map of tensor -> file)",
                             "re-download the index file")
    # A shard is a file of the checkpoint's own folder, as ONNX external data is: a name reaching elsewhere
    # ("../other/model.safetensors", "/abs/path") would read weights the folder does not hold. Symbolic links
    # stay allowed (the Hugging Face cache links every snapshot file into its blobs folder).
    outside = next((f for f in weight_map.values() if not f or Path(f).is_absolute() or ".." in Path(f).parts
                    or "\\" in f), None)
    if outside is not None:
        raise WorkbenchError(f"{path}: the index places weights in '{outside}', outside its folder",
                             "keep every shard beside the index (re-download the checkpoint)")
    metadata = index.get("metadata") if isinstance(index.get("metadata"), dict) else {}
    return {"weight_map": weight_map, "metadata": metadata}


def inspect_index(path: str | os.PathLike) -> InspectResult:
    """A sharded checkpoint: every shard the index lists must exist and hold the tensors mapped to it."""
    path = Path(path)
    index = read_index(path)
    by_shard: dict = {}
    for tensor, shard in index["weight_map"].items():
        by_shard.setdefault(shard, set()).add(tensor)
    problems, headers, files = [], [], [path]
    missing = [s for s in sorted(by_shard) if not (path.parent / s).is_file()]
    if by_shard and len(missing) == len(by_shard):
        raise WorkbenchError(f"{path}: none of the {len(by_shard)} shards it lists is present "
                             f"(e.g. {missing[0]})", f"download the shard files into {path.parent}")
    if missing:
        problems.append(f"{len(missing)} of {len(by_shard)} weight shards listed in {path.name} "
                        f"{'is' if len(missing) == 1 else 'are'} missing "
                        f"({', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}); download them into "
                        f"the same folder")
    shard_metadata: dict = {}
    for shard in sorted(by_shard):
        if shard in missing:
            continue
        header = read_header(path.parent / shard)
        headers.append(header)
        files.append(path.parent / shard)
        shard_metadata = shard_metadata or dict(header.metadata)
        present = {t.name for t in header.tensors}
        absent = by_shard[shard] - present
        if absent:
            problems.append(f"{len(absent)} tensors that {path.name} places in {shard} are not in it "
                            f"({_examples(absent)}); the shard does not match the index — re-download both")
        extra = present - by_shard[shard]
        if extra:
            problems.append(f"{shard} holds {len(extra)} tensors the index does not list ({_examples(extra)}); "
                            f"they will not be loaded")
    metadata = {**shard_metadata, **index["metadata"]}
    return _result_from_headers(path, "safetensors-sharded", headers, metadata, files, problems)


def inspect_files(paths: list, where: Path) -> InspectResult:
    """Several .safetensors files with no index (a folder of shards): report them together."""
    headers = [read_header(p) for p in sorted(paths)]
    if len(headers) == 1:
        return inspect_file(headers[0].path)
    metadata = dict(headers[0].metadata) if headers else {}
    return _result_from_headers(where, "safetensors-sharded", headers, metadata, [h.path for h in headers])


def weights_in_folder(folder: Path) -> Optional[InspectResult]:
    """The safetensors weights of a folder (the index when there is one), or None when it holds none."""
    indexes = sorted(folder.glob("*" + INDEX_SUFFIX))
    if indexes:
        preferred = folder / ("model" + INDEX_SUFFIX)
        return inspect_index(preferred if preferred in indexes else indexes[0])
    files = sorted(p for p in folder.glob("*.safetensors") if p.is_file())
    if not files:
        return None
    preferred = folder / "model.safetensors"
    if preferred in files:
        return inspect_file(preferred)
    return inspect_files(files, folder)


def no_architecture_error(path) -> WorkbenchError:
    return WorkbenchError(
        f"{path} is a bare state dict: it holds weights but no architecture to build a model from",
        "give the Hugging Face folder that has its config.json, or your own class with "
        "`model.py:ClassName --weights FILE --trust-code`",
    )
