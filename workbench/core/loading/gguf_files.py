"""GGUF files (llama.cpp), inspected only: gguf-py's GGUFReader memory-maps the file and reads the header and
tensor infos; no tensor data is touched."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.registry import Loader
from workbench.core.results import InspectResult, TensorInfo

MAGIC = b"GGUF"


def can_load(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".gguf"


def inspect_gguf(path: Path) -> InspectResult:
    import gguf

    try:
        reader = gguf.GGUFReader(str(path), "r")
    except Exception as err:  # noqa: BLE001 - gguf-py raises ValueError/IndexError/struct errors on bad bytes
        raise WorkbenchError(f"{path}: not a valid GGUF file ({first_line(err)})",
                             "the file may be truncated or corrupt — convert or download it again") from None
    meta = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name.startswith("tokenizer.ggml.") and name not in (
                "tokenizer.ggml.model", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"):
            continue
        value = field.contents()
        meta[name] = value if not isinstance(value, list) else f"[{len(value)} values]"
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    if tokens is not None:
        meta["tokenizer.ggml.tokens"] = f"{len(tokens.data)} tokens"
    tensors, by_type, params = [], {}, 0
    for t in reader.tensors:
        shape = [int(d) for d in reversed(t.shape.tolist())]  # ggml stores ne0 first; show torch order
        count = int(np.prod(shape)) if shape else 1
        params += count
        by_type[t.tensor_type.name] = by_type.get(t.tensor_type.name, 0) + int(t.n_bytes)
        tensors.append(TensorInfo(name=t.name, shape=shape, dtype=t.tensor_type.name))
    return InspectResult(path=str(path), format="gguf", parameters=params, tensors=tensors, metadata=meta,
                         bytes_by_dtype=by_type, total_bytes=path.stat().st_size,
                         notes=[f"architecture {meta.get('general.architecture')}, {len(tensors)} tensors"])


def register(registry) -> None:
    registry.add_loader(Loader(name="gguf_files", can_load=can_load, inspect=inspect_gguf, load=None))
