"""Lean ONNX export of Hugging Face folders whose weights are safetensors: the peak memory is the process, the
traced graph and one tensor, instead of all the weights plus what saving adds (benchmarks/export_memory.py: 1.38 GB
of fp32 weights, plain 1.41x the weights, lean 0.61x).

The plain path loads every weight, keeps it through tracing, optimizing (where the Transpose in front of each Linear
weight is folded into a transposed initializer) and saving. Here instead:

1. the model is built from its config with every parameter a FakeTensor (shape and dtype, no storage) while buffers
   stay real: non-persistent buffers such as rotary ``inv_freq`` are computed by the modules themselves;
2. the dynamo exporter traces it exactly as the plain path does (same dynamic_shapes, names, opset) but without
   optimizing;
3. every initializer that came from a parameter becomes an ``onnx_ir.LazyTensor`` that reads its tensor from the
   safetensors shards (positioned reads, no mmap left resident) and converts it to the export dtype; a Transpose
   fed by such an initializer is folded into a lazy, transposed initializer, as the optimizer would have folded it;
4. the optimizer runs (it only reads small constants), and ``save`` writes the external data one tensor at a time.

Anything this path cannot map (checkpoint names transformers converts on load, e.g. fused MoE experts) raises
before tracing; ``export_onnx`` then falls back to the plain path and says why.

Size: over 300 lines because the streamed weight reading, the meta-device build and the write of the graph with
its external data are one memory budget; each step only works with the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError
from workbench.core.quiet import library_output

LEAN_ABOVE = 512 * 1024 * 1024  # bytes of safetensors weights above which export_onnx takes the lean path
ENV = "WORKBENCH_LEAN_EXPORT"  # "1": always (when it applies), "0": never; unset: by size
WRAPPER_PREFIX = "model."  # FlatModel keeps the Hugging Face model as .model

# safetensors dtype -> torch dtype name
_ST_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
              "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool", "U16": "uint16",
              "U32": "uint32", "U64": "uint64", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
_PATCH_LOCK = threading.Lock()
_BLOCK_BYTES = 16 << 20  # rows read at a time when converting or transposing


@dataclass
class _Entry:
    path: Path
    dtype: str  # safetensors dtype
    shape: tuple
    begin: int  # absolute byte offsets in the file
    end: int


class SafetensorsWeights:
    """The tensors of a folder's safetensors files, read one at a time with positioned reads.

    Reads go through the page cache into a fresh tensor; nothing stays mapped, so the resident memory is the one
    tensor being read (a memory map would keep every page read so far resident while the file is open).
    """

    def __init__(self, files: list):
        from workbench.core.loading.safetensors_read import read_header

        self.entries: dict = {}
        for path in files:
            read_header(path)  # validates the header the way inspection does
            with open(path, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                header = json.loads(f.read(n))
            header.pop("__metadata__", None)
            for name, info in header.items():
                begin, end = info["data_offsets"]
                self.entries[name] = _Entry(Path(path), info["dtype"], tuple(info["shape"]), 8 + n + begin,
                                            8 + n + end)

    @classmethod
    def of_folder(cls, folder: str | os.PathLike) -> Optional["SafetensorsWeights"]:
        """The folder's weights (the index's shards when there is an index), or None without safetensors."""
        from workbench.core.loading.safetensors_read import INDEX_SUFFIX, read_index

        folder = Path(folder)
        indexes = sorted(folder.glob("*" + INDEX_SUFFIX))
        if indexes:
            preferred = folder / ("model" + INDEX_SUFFIX)
            index = read_index(preferred if preferred in indexes else indexes[0])
            files = sorted({folder / shard for shard in index["weight_map"].values()})
        else:
            files = sorted(p for p in folder.glob("*.safetensors") if p.is_file())
            if folder / "model.safetensors" in files:
                files = [folder / "model.safetensors"]
        return cls(files) if files else None

    @property
    def total_bytes(self) -> int:
        return sum(e.end - e.begin for e in self.entries.values())

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def read(self, name: str, dtype=None, transpose: bool = False):
        """The tensor ``name`` as a new CPU tensor, converted to ``dtype`` and (2-D only) transposed when asked.

        A conversion or transpose goes through the output a block of rows at a time, so the memory used is the
        result plus one block, not the stored tensor and the result side by side.
        """
        import torch

        entry = self.entries[name]
        stored = getattr(torch, _ST_DTYPES[entry.dtype])
        dtype = dtype or stored
        if transpose and len(entry.shape) != 2:
            raise WorkbenchError(f"cannot transpose '{name}' of shape {list(entry.shape)} while reading",
                                 "only 2-D weights are transposed")
        if dtype == stored and not transpose:
            raw = torch.empty(entry.end - entry.begin, dtype=torch.uint8)
            self._read_into(entry, name, entry.begin, raw)
            return raw.view(stored).reshape(entry.shape)
        rows = entry.shape[0] if entry.shape else 1
        row_bytes = (entry.end - entry.begin) // max(rows, 1)
        out = torch.empty(tuple(reversed(entry.shape)) if transpose else entry.shape, dtype=dtype)
        target = out.t() if transpose else out.reshape(rows, -1) if entry.shape else out.reshape(1)
        step = max(1, _BLOCK_BYTES // max(row_bytes, 1))
        block = torch.empty(min(step, rows) * row_bytes, dtype=torch.uint8)
        for first in range(0, rows, step):
            count = min(step, rows - first)
            chunk = block[:count * row_bytes]
            self._read_into(entry, name, entry.begin + first * row_bytes, chunk)
            values = chunk.view(stored)
            target[first:first + count].copy_(values.reshape(count, -1) if entry.shape else values)
        return out

    @staticmethod
    def _read_into(entry: _Entry, name: str, offset: int, buffer) -> None:
        view, done = memoryview(buffer.numpy()), 0
        with open(entry.path, "rb", buffering=0) as f:
            f.seek(offset)
            while done < len(view):
                got = f.readinto(view[done:])
                if not got:
                    raise WorkbenchError(f"{entry.path}: tensor '{name}' is cut short",
                                         "the file may be truncated — re-download it")
                done += got


def wanted(spec, exporter: str) -> tuple[Optional[SafetensorsWeights], Optional[str]]:
    """(weights, None) when export_onnx should take the lean path, else (None, why not or None when by size)."""
    choice = os.environ.get(ENV, "").strip()
    if choice == "0" or exporter != "dynamo" or spec.external_data is False:
        return None, None
    from workbench.core.loading import is_user_code

    folder = Path(spec.source.path).expanduser()
    if is_user_code(spec.source.path) or not (folder.is_dir() and (folder / "config.json").is_file()):
        return None, None
    try:
        model_type = json.loads((folder / "config.json").read_text("utf-8")).get("model_type")
        from workbench.core.loading.model import family_settings

        if family_settings(model_type).get("exporter", "dynamo") != "dynamo":
            return None, None
        weights = SafetensorsWeights.of_folder(folder)
    except (WorkbenchError, OSError, ValueError, AttributeError, RecursionError) as err:
        return None, f"lean export not used: {getattr(err, 'what', None) or err}"
    if weights is None or (choice != "1" and weights.total_bytes <= LEAN_ABOVE):
        return None, None
    return weights, None


@contextlib.contextmanager
def fake_parameters():
    """Every nn.Parameter registered inside becomes a FakeTensor (same shape, dtype and device, no storage).

    Buffers are untouched, so non-persistent ones (rotary inv_freq, position ids) are computed for real. The patch is
    process-wide while it lasts (as accelerate's init_empty_weights): modules built by other threads meanwhile get
    fake parameters too, hence the lock against a second export doing the same.
    """
    import torch
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode
    from torch.fx.experimental.symbolic_shapes import ShapeEnv

    mode = FakeTensorMode(allow_non_fake_inputs=True, shape_env=ShapeEnv())
    original = torch.nn.Module.register_parameter

    def register(self, name, param):
        if param is not None and not isinstance(param, FakeTensor):
            with mode:
                fake = torch.empty(param.shape, dtype=param.dtype, device=param.device)
            param = torch.nn.Parameter(fake, requires_grad=param.requires_grad)
        original(self, name, param)

    with _PATCH_LOCK:
        torch.nn.Module.register_parameter = register
        try:
            yield mode
        finally:
            torch.nn.Module.register_parameter = original


def load_weightless(source, dtype: str = "fp32"):
    """The LoadedModel of a Hugging Face folder, built from its config with fake parameters (no weights read)."""
    from workbench.core.loading.hf_folder import load_hf_model

    with fake_parameters():
        return load_hf_model(Path(source.path).expanduser(), dtype, source.task, source.family_options,
                             with_weights=False)


def checkpoint_names(hf_model, weights: SafetensorsWeights) -> dict:
    """{state-dict name of every parameter: checkpoint name}, tied parameters under each of their names.

    Raises WorkbenchError for a parameter the checkpoint lacks or holds in another shape (transformers would
    convert or initialise it; the plain path does that).
    """
    prefix = getattr(hf_model, "base_model_prefix", "") or ""
    groups: dict = {}
    for name, param in hf_model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(param), (param, []))[1].append(name)
    found, missing = {}, []
    for param, names in groups.values():
        candidates = []
        for name in names:
            candidates.append(name)
            if prefix:
                candidates.append(name[len(prefix) + 1:] if name.startswith(prefix + ".") else f"{prefix}.{name}")
        key = next((c for c in candidates if c in weights), None)
        if key is None:
            missing.append(names[0])
            continue
        if tuple(weights.entries[key].shape) != tuple(param.shape):
            raise WorkbenchError(f"checkpoint tensor '{key}' is {list(weights.entries[key].shape)}, the model's "
                                 f"'{names[0]}' is {list(param.shape)}", "the plain export path converts it")
        for name in names:
            found[name] = key
    if missing:
        raise WorkbenchError(f"{len(missing)} parameters are not in the checkpoint under their own names "
                             f"(e.g. '{missing[0]}')", "the plain export path lets transformers convert them")
    return found


class _Source:
    """What a lazy initializer evaluates: one checkpoint tensor, converted (and transposed) as it is read."""

    def __init__(self, weights: SafetensorsWeights, key: str, name: str, torch_dtype, transpose: bool = False):
        self.weights, self.key, self.name = weights, key, name
        self.torch_dtype, self.transpose = torch_dtype, transpose

    def __call__(self):
        from torch.onnx._internal.exporter._core import TorchTensor  # what ONNXProgram.apply_weights uses

        return TorchTensor(self.weights.read(self.key, self.torch_dtype, self.transpose), self.name)

    def __repr__(self) -> str:
        return f"_Source({self.key!r}{', transposed' if self.transpose else ''})"


def _lazy(source: _Source, ir_dtype, shape):
    import onnx_ir as ir

    return ir.LazyTensor(source, dtype=ir_dtype, shape=ir.Shape(shape), name=source.name)


def _torch_dtype(ir_dtype):
    import onnx_ir as ir
    import torch

    table = {ir.DataType.FLOAT: torch.float32, ir.DataType.FLOAT16: torch.float16,
             ir.DataType.BFLOAT16: torch.bfloat16, ir.DataType.DOUBLE: torch.float64,
             ir.DataType.INT64: torch.int64, ir.DataType.INT32: torch.int32, ir.DataType.INT8: torch.int8,
             ir.DataType.UINT8: torch.uint8, ir.DataType.BOOL: torch.bool, ir.DataType.INT16: torch.int16}
    if ir_dtype not in table:
        raise WorkbenchError(f"initializer type {ir_dtype} is not handled by the lean export",
                             "the plain export path handles it")
    return table[ir_dtype]


def attach_weights(program, weights: SafetensorsWeights, names: dict, prefix: str = WRAPPER_PREFIX) -> int:
    """Point every initializer the checkpoint holds at a lazy read of it; returns how many were attached.

    Fake initializers the checkpoint lacks raise (they would be saved as garbage); real buffers it lacks keep the
    values the modules computed.
    """
    from torch._subclasses.fake_tensor import FakeTensor

    attached = 0
    for name, value in program.model.graph.initializers.items():
        inner = name[len(prefix):] if name.startswith(prefix) else name
        key = names.get(inner) or (inner if inner in weights else None)
        tensor = value.const_value
        if key is None:
            if isinstance(getattr(tensor, "raw", None), FakeTensor):
                raise WorkbenchError(f"initializer '{name}' has no tensor in the checkpoint",
                                     "the plain export path handles it")
            continue
        shape = [int(d) for d in value.shape]
        if tuple(shape) != tuple(weights.entries[key].shape):
            raise WorkbenchError(f"initializer '{name}' is {shape}, checkpoint '{key}' is "
                                 f"{list(weights.entries[key].shape)}", "the plain export path converts it")
        value.const_value = _lazy(_Source(weights, key, name, _torch_dtype(value.dtype)), value.dtype, shape)
        attached += 1
    return attached


def fold_weight_transposes(program, input_size_limit: Optional[int] = None) -> int:
    """Replace Transpose(initializer) by a lazily transposed initializer, as the optimizer's constant folding would
    (it always folds a Transpose whose large input has no other consumer; small inputs it folds anyway), without
    materialising the tensor now. Returns the number folded."""
    import onnx_ir as ir
    from onnxscript.optimizer._constant_folding import DEFAULT_CONSTANT_FOLD_INPUT_SIZE_LIMIT

    limit = DEFAULT_CONSTANT_FOLD_INPUT_SIZE_LIMIT if input_size_limit is None else input_size_limit
    graph = program.model.graph
    folded = 0
    for node in list(graph):
        if node.op_type != "Transpose" or node.domain not in ("", "ai.onnx") or len(node.inputs) != 1:
            continue
        source, out = node.inputs[0], node.outputs[0]
        lazy = getattr(source, "const_value", None)
        if (not isinstance(lazy, ir.LazyTensor) or not isinstance(lazy.raw, _Source) or lazy.raw.transpose
                or not source.is_initializer() or out.is_graph_output()):
            continue
        perm_attr = node.attributes.get("perm")
        if len(lazy.shape) != 2 or (perm_attr is not None and list(perm_attr.as_ints()) != [1, 0]):
            continue  # only the 2-D weight transposes Linear layers trace to; the optimizer folds any others
        if lazy.size > limit and len(source.uses()) != 1:
            continue  # the optimizer leaves these (e.g. a tied embedding also read by Gather)
        shape = [int(lazy.shape[1]), int(lazy.shape[0])]
        raw = lazy.raw
        transposed = _Source(raw.weights, raw.key, out.name, raw.torch_dtype, transpose=True)
        new = ir.Value(name=out.name, shape=ir.Shape(shape), type=ir.TensorType(lazy.dtype),
                       const_value=_lazy(transposed, lazy.dtype, shape))
        name = out.name
        out.name = f"{name}_unfolded"
        new.name = name
        graph.register_initializer(new)
        ir.convenience.replace_all_uses_with(out, new)
        graph.remove(node, safe=True)
        if not source.uses():
            graph.initializers.pop(source.name)
        folded += 1
    return folded


def export(loaded, weights: SafetensorsWeights, inputs: dict, path, spec, names, axes) -> list:
    """Trace the weightless model, attach the checkpoint's tensors, optimize, save with external data (one tensor
    in memory at a time). Returns notes for the export result."""
    import logging

    import torch

    from workbench.core.dynamic_axes import to_dynamic_shapes

    mapping = checkpoint_names(loaded.module.model, weights)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with library_output():
        program = torch.onnx.export(loaded.module, (), kwargs=inputs, dynamo=True,
                                    dynamic_shapes=to_dynamic_shapes(axes, list(inputs)),
                                    input_names=names[0], output_names=names[1], opset_version=spec.opset,
                                    optimize=False)
        attached = attach_weights(program, weights, mapping)
        folded = 0
        if spec.constant_folding:
            folded = fold_weight_transposes(program)
            program.optimize()
        program.save(str(path), include_initializers=spec.export_params, external_data=True)
    return [f"lean export: traced without weights, {attached} tensors streamed from the safetensors files "
            f"({weights.total_bytes / 1e9:.2f} GB), {folded} weight transposes folded while writing"]
