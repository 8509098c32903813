"""Property tests (hypothesis) on the parsers written here rather than taken from a library: the safetensors header
reader, the ``--shape NAME=DIMS`` parser, and the ONNX file check. Whatever the bytes or text, the only exception
that may escape is a WorkbenchError (one line: what, then what to do).

The checks are plain functions (``check_*``) over drawn data so that ``tools/fuzz.py`` runs the same properties
with many more examples; here each runs ~200 examples and takes a few seconds.
"""

from __future__ import annotations

import atexit
import json
import math
import shutil
import struct
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.errors import WorkbenchError
from workbench.core.loading import safetensors_files
from workbench.core.loading.safetensors_read import DTYPES, read_header

_TMP: list = []


def scratch(name: str) -> Path:
    """A path in a per-process scratch folder (hypothesis examples cannot use function-scoped tmp_path)."""
    if not _TMP:
        _TMP.append(Path(tempfile.mkdtemp(prefix="wb-fuzz-")))
        atexit.register(shutil.rmtree, _TMP[0], True)
    return _TMP[0] / name


def _one_line(err: WorkbenchError) -> None:
    assert "\n" not in str(err) and str(err).strip()


# --- safetensors -----------------------------------------------------------------------------------------------------

JSON_LEAF = st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False) | st.text(max_size=8)
JSON_ANY = st.recursive(JSON_LEAF, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c,
                                                                                       max_size=4), max_leaves=12)
BAD_DTYPES = st.sampled_from(["F32", "f32", "F128", "", "I4", "BOOL ", "__proto__"]) | JSON_LEAF
DIM = st.integers(0, 6) | st.integers(-3, 2 ** 70) | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=3)
SHAPE = st.lists(st.integers(0, 6), max_size=4) | st.lists(DIM, max_size=5) | JSON_ANY
OFFSETS = (st.lists(st.integers(0, 512), min_size=2, max_size=2) | st.lists(st.integers(-5, 2 ** 70), max_size=3)
           | JSON_ANY)


@st.composite
def header_entry(draw):
    entry = {}
    for key, strategy in (("dtype", st.sampled_from(sorted(DTYPES)) | BAD_DTYPES), ("shape", SHAPE),
                          ("data_offsets", OFFSETS)):
        if draw(st.integers(0, 9)):  # now and then leave the key out
            entry[key] = draw(strategy)
    if not draw(st.integers(0, 5)):
        entry[draw(st.text(max_size=5))] = draw(JSON_ANY)
    return entry if draw(st.integers(0, 9)) else draw(JSON_ANY)


@st.composite
def random_header_file(draw) -> bytes:
    """An 8-byte length, a JSON header built from bad and good entries, then some data bytes."""
    header = draw(st.dictionaries(st.text(max_size=8), header_entry(), max_size=5))
    if draw(st.booleans()):
        header["__metadata__"] = draw(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3) | JSON_ANY)
    raw = json.dumps(header).encode()
    data = b"\0" * draw(st.integers(0, 600))
    n = len(raw) if draw(st.integers(0, 9)) else draw(st.integers(0, 2 ** 64 - 1))
    return struct.pack("<Q", n) + raw + data


@st.composite
def valid_file(draw) -> bytes:
    """A well-formed safetensors file: tensors tiling the data section in order."""
    names = draw(st.lists(st.text(min_size=1, max_size=8).filter(lambda s: s != "__metadata__"), unique=True,
                          max_size=5))
    header, offset = {}, 0
    byte_dtypes = [d for d, (_, bits) in DTYPES.items() if bits % 8 == 0]
    for name in names:
        dtype = draw(st.sampled_from(byte_dtypes))
        shape = draw(st.lists(st.integers(0, 4), max_size=3))
        size = math.prod(shape) * DTYPES[dtype][1] // 8
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if draw(st.booleans()):
        header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header).encode()
    raw += b" " * draw(st.integers(0, 7))  # padding, as safetensors writes it
    return struct.pack("<Q", len(raw)) + raw + draw(st.binary(min_size=offset, max_size=offset))


@st.composite
def mutated(draw, base) -> bytes:
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[i] = draw(st.sampled_from([0, 0x22, 0x2C, 0x2D, 0x30, 0x39, 0x5B, 0x5D, 0x7B, 0x7D, 0xFF]))
        elif kind == "truncate":
            del data[i:]
        elif kind == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
        else:
            del data[i:i + draw(st.integers(1, 8))]
    return bytes(data)


def deep_json(depth: int) -> bytes:
    raw = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    return struct.pack("<Q", len(raw)) + raw


SAFETENSORS_INPUTS = (st.binary(max_size=256)
                      | st.binary(max_size=200).map(lambda b: struct.pack("<Q", len(b)) + b)
                      | random_header_file()
                      | mutated(valid_file())
                      | st.integers(1, 200_000).map(deep_json))


def check_safetensors(blob: bytes) -> None:
    """Only WorkbenchError escapes; what is accepted is consistent and opens with safetensors itself."""
    path = scratch("fuzz.safetensors")
    path.write_bytes(blob)
    try:
        result = safetensors_files.inspect(path)
    except WorkbenchError as err:
        _one_line(err)
        return
    header = read_header(path)
    assert result.total_bytes == len(blob) - 8 - struct.unpack("<Q", blob[:8])[0]
    assert sum(header.bytes_by_dtype.values()) == result.total_bytes
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:  # accepted by us => accepted by safetensors
        assert set(f.keys()) == {t.name for t in result.tensors}


def check_valid_safetensors(blob: bytes) -> None:
    path = scratch("valid.safetensors")
    path.write_bytes(blob)
    result = safetensors_files.inspect(path)
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    assert {t.name for t in result.tensors} == set(header)
    assert result.total_bytes == len(blob) - 8 - n


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SAFETENSORS_INPUTS)
def test_safetensors_reader_raises_only_workbench_errors(blob):
    check_safetensors(blob)


@settings(max_examples=100, deadline=None)
@given(valid_file())
def test_safetensors_reader_accepts_valid_files(blob):
    check_valid_safetensors(blob)


def test_deeply_nested_header_is_a_workbench_error():
    check_safetensors(deep_json(100_000))


# --- --shape NAME=DIMS -----------------------------------------------------------------------------------------------

SHAPE_TEXT = st.text(alphabet=st.sampled_from(list("0123456789xX,- +_.=eE") + ["٣", "²", "\n", "\0"]), max_size=30)


def check_parse_shape(text: str) -> None:
    from workbench.core.loading.model import parse_shape

    try:
        dims = parse_shape(text)
    except WorkbenchError as err:
        _one_line(err)
        return
    assert dims and all(isinstance(d, int) and d > 0 for d in dims)


def check_shape_round_trip(dims: list, sep: str) -> None:
    from workbench.core.loading.model import parse_shape

    assert parse_shape(sep.join(map(str, dims))) == dims


def check_cli_shapes(items: list) -> None:
    from workbench.cli import _shapes

    try:
        shapes = _shapes(items)
    except WorkbenchError as err:
        _one_line(err)
        return
    assert set(shapes) <= {item.partition("=")[0] for item in items}
    assert all(dims and all(d > 0 for d in dims) for dims in shapes.values())


@settings(max_examples=200, deadline=None)
@given(SHAPE_TEXT | st.text(max_size=20))
def test_parse_shape_raises_only_workbench_errors(text):
    check_parse_shape(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10 ** 6), min_size=1, max_size=6), st.sampled_from(["x", "X", ","]))
def test_parse_shape_round_trips(dims, sep):
    check_shape_round_trip(dims, sep)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=6) | st.builds(lambda n, s: f"{n}={s}", st.text(max_size=6), SHAPE_TEXT),
                max_size=4))
def test_cli_shapes_raise_only_workbench_errors(items):
    check_cli_shapes(items)


# --- ONNX check_file -------------------------------------------------------------------------------------------------

def _tiny_onnx(entries: list | None = None) -> bytes:
    """A two-node model, its weight either inline or external (with the given external_data entries)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((2, 2), dtype=np.float32), "w")
    if entries is not None:
        w.ClearField("raw_data")
        w.data_location = TensorProto.EXTERNAL
        for key, value in entries:
            e = w.external_data.add()
            e.key, e.value = key, value
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"])],
                              "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


_BASES: dict = {}


def _base(kind: str) -> bytes:
    if kind not in _BASES:
        _BASES[kind] = _tiny_onnx(None if kind == "inline" else
                                  [("location", "w.bin"), ("offset", "0"), ("length", "16")])
    return _BASES[kind]


EXTERNAL_VALUE = (st.sampled_from(["w.bin", "0", "16", "-1", "abc", "1e3", " 4", "../w.bin", "/etc/passwd", "",
                                   "99999999999999999999999", "w.bin\0", "."]) | st.text(max_size=8))
EXTERNAL_ENTRIES = st.lists(st.tuples(st.sampled_from(["location", "offset", "length", "checksum", ""])
                                      | st.text(max_size=5), EXTERNAL_VALUE), max_size=4)
ONNX_INPUTS = (st.binary(max_size=256)
               | mutated(st.sampled_from(["inline", "external"]).map(_base))
               | EXTERNAL_ENTRIES.map(_tiny_onnx))


def check_onnx(blob: bytes) -> None:
    """check_file and inspect on the bytes (w.bin, 16 bytes, lies beside): only WorkbenchError escapes."""
    from workbench.core.loading import onnx_files

    path = scratch("fuzz.onnx")
    if not scratch("w.bin").exists():
        scratch("w.bin").write_bytes(b"\0" * 16)
    path.write_bytes(blob)
    for fn in (onnx_files.check_file, onnx_files.inspect):
        try:
            fn(path)
        except WorkbenchError as err:
            _one_line(err)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ONNX_INPUTS)
def test_onnx_check_file_raises_only_workbench_errors(blob):
    check_onnx(blob)


def test_onnx_external_offset_not_a_number_is_a_workbench_error():
    check_onnx(_tiny_onnx([("location", "w.bin"), ("offset", "abc"), ("length", "16")]))


def test_deeply_nested_index_is_a_workbench_error():
    import pytest

    path = scratch("model.safetensors.index.json")
    path.write_text('{"weight_map": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(WorkbenchError, match="not a valid checkpoint index"):
        safetensors_files.inspect(path)


def test_deeply_nested_config_json_is_a_problem_not_a_crash():
    from workbench.core.loading.hf_folder import _read_config

    folder = scratch("hf")
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    problems: list = []
    assert _read_config(folder, problems) == {}
    assert problems and "not valid JSON" in problems[0]


def test_unpaired_surrogate_escape_is_refused_like_safetensors_does():
    # found by tools/fuzz.py: Python's json decodes "\ud800" alone, safetensors refuses the file
    raw = b'{"\\ud800":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}}'
    blob = struct.pack("<Q", len(raw)) + raw + b"\0"
    check_safetensors(blob)
    path = scratch("surrogate.safetensors")
    path.write_bytes(blob)
    import pytest

    with pytest.raises(WorkbenchError, match="surrogate"):
        safetensors_files.inspect(path)
    paired = b'{"\\ud83d\\ude00":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}}'  # a valid pair is fine
    path.write_bytes(struct.pack("<Q", len(paired)) + paired + b"\0")
    assert [t.name for t in safetensors_files.inspect(path).tensors] == ["\U0001F600"]


def test_external_data_entry_that_is_not_utf8_is_a_workbench_error():
    # found by tools/fuzz.py: protobuf returns a non-UTF-8 string field as bytes (was a TypeError)
    check_onnx(b'\x08\x00:\x89\x01\x08\x00\t\x00\x00\x00\x00\x00\x00\x00\x00"\x06\x00\x00\x00\x00\x00\x00\r\x00\x00\x00\x00"\x01\x00\t\x00\x00\x00\x00\x00\x00\x00\x00*9\x08\x00\x08\x00\x08\x00B\x01\x00j\x11\n\x08location\x12\x05\x00\x00\x00\x00\x80\n\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00st\n\x06\x00\x00\x00\x00\x00\x00\x12\x02\x00\x00p\x01\n\x12\x12\x01\x00\x08\x00\n\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x12\x12\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x08\x00B\x00\x08\x01')
