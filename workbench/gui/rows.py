"""Qt-free helpers of the tables: byte and count formatting and the tensor table's rows."""

from __future__ import annotations

from typing import Optional

_DTYPE_BYTES = {"float64": 8, "double": 8, "int64": 8, "uint64": 8, "complex64": 8, "float32": 4, "float": 4,
                "int32": 4, "uint32": 4, "float16": 2, "bfloat16": 2, "half": 2, "int16": 2, "uint16": 2,
                "int8": 1, "uint8": 1, "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1, "f64": 8, "f32": 4,
                "f16": 2, "bf16": 2, "i64": 8, "i32": 4, "i16": 2, "i8": 1, "u8": 1, "u16": 2, "u32": 4,
                "u64": 8, "int4": 0.5, "uint4": 0.5}


def dtype_bytes(dtype: str) -> float:
    key = str(dtype).lower().replace("torch.", "")
    return _DTYPE_BYTES.get(key, 0)


def human_bytes(n: float) -> str:
    if n is None:
        return ""
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} TB"


def human_count(n: Optional[int]) -> str:
    if n is None:
        return ""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f}{unit}"
    return str(n)


def _numel(shape) -> int:
    total = 1
    for dim in shape or ():
        if isinstance(dim, int):
            total *= dim
        else:
            return 0
    return total


def _field(item, name, default=None):
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


def tensor_rows(tensors) -> list[tuple]:
    """Rows of the tensor table: (name, dtype, shape text, elements, bytes, lower-case name). Qt-free."""
    rows = []
    append = rows.append
    for t in tensors or ():
        name, dtype, shape = str(_field(t, "name", "")), str(_field(t, "dtype", "")), _field(t, "shape", [])
        numel = _numel(shape)
        append((name, dtype, "×".join(map(str, shape)) if shape else "scalar", numel,
                int(numel * dtype_bytes(dtype)), name.lower()))
    return rows
