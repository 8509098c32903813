"""Typed options for every job. One function per library translates these to that library's kwargs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

DTYPES = ("fp32", "fp16", "bf16")
EXPORTERS = ("dynamo", "legacy")
OPT_LEVELS = ("basic", "extended", "all")
QUANT_MODES = ("int8-dynamic", "int8-static", "fp16", "int4", "int8-weight")
CALIBRATION_METHODS = ("minmax", "entropy", "percentile")
WEIGHT_ONLY_ALGOS = ("rtn", "hqq", "gptq")
PROVIDERS = ("cpu", "cuda")
OPT_TARGETS = ("cpu", "cuda")


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from.

    ``path`` is a file or folder (safetensors, .pt/.bin, .pt2, TorchScript, a Hugging Face folder, ONNX), or
    ``module.py:ClassName`` for the user's own code, in which case ``weights`` names the state dict to load and
    ``trust_code`` must be True (that code runs).
    """

    path: str
    weights: Optional[str] = None
    trust_code: bool = False
    task: Optional[str] = None  # e.g. "feature-extraction", "text-generation", "image-classification"
    family_options: dict = field(default_factory=dict)  # overrides of the family settings (data, see families.py)


@dataclass(frozen=True)
class InputSpec:
    """Shape of an example input; ``None`` entries are filled from the model's config."""

    batch: int = 2
    sequence: int = 8
    image_size: Optional[int] = None
    shapes: dict = field(default_factory=dict)  # explicit {input_name: [dims]} override


@dataclass(frozen=True)
class ExportSpec:
    source: ModelSource
    output: str
    target: str = "onnx"
    exporter: str = "dynamo"  # "dynamo" (default) or "legacy"; dynamo falls back to legacy, reported
    fallback: bool = True
    opset: Optional[int] = None  # None: the exporter's default
    dtype: str = "fp32"
    constant_folding: bool = True
    export_params: bool = True
    input_names: Optional[tuple] = None
    output_names: Optional[tuple] = None
    dynamic_axes: Optional[dict] = None  # {input_name: {axis: dim_name}}; None: batch and sequence are dynamic
    inputs: InputSpec = field(default_factory=InputSpec)
    external_data: Optional[bool] = None  # None: decided by size (always for dynamo)
    force: bool = False  # replace existing files of the user's (never folders, devices, links' targets, inputs)
    quant: Optional[str] = None  # --target gguf: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k_m|q5_k_m|q6_k
    # --target openvino: int8|int4 (NNCF); calibration (quantize's .npz folder or .txt) makes it data-aware
    calibration: Optional[str] = None
    optimize_level: Optional[int] = None  # --target mnn: MNNConvert --optimizeLevel 0|1|2 (None: 1)


@dataclass(frozen=True)
class ValidateSpec:
    model: str
    against: ModelSource
    rtol: Optional[float] = None  # None: the default for the model's dtype
    atol: Optional[float] = None
    # (batch, sequence) pairs tried, different in every dimension (a fixed size in the file is kept); the image
    # size stays the config's
    shapes: tuple = ((2, 8), (3, 13), (1, 21))
    provider: str = "cpu"
    locate: bool = False  # also find the first diverging node (workbench.core.locate), into result.divergence
    # {input: [dims]} for sources without stored shapes (.pt2, TorchScript, model.py): compared at these shapes and
    # at batch + 1 where the file's batch is dynamic (replaces ``shapes``)
    input_shapes: Optional[dict] = None
    runtime: Optional[str] = None  # a registered runtime's name; None: the one that opens the model's suffix


@dataclass(frozen=True)
class OptimizeSpec:
    model: str
    output: str
    level: str = "extended"
    simplify: bool = True
    fusion: bool = True  # ORT transformer fusion where the model type is known and it applies
    against: Optional[ModelSource] = None  # re-validate against this source when given
    target: str = "cpu"  # "cuda": fusion for the CUDA provider + fp16 (workbench.core.optimize.cuda)
    force: bool = False  # replace existing files of the user's (see workbench.core.fsutil)
    fp16_outputs: bool = False  # --target cuda: float16 outputs (no Cast to float32 at the end)


@dataclass(frozen=True)
class QuantSpec:
    model: str
    output: str
    mode: str = "int8-dynamic"
    per_channel: bool = True
    calibration: Optional[str] = None  # folder of .npy/.npz, or a .txt of lines for the tokenizer
    tokenizer: Optional[str] = None  # folder with tokenizer files (for text calibration); default: beside model
    method: str = "minmax"
    op_types: Optional[tuple] = None
    exclude: tuple = ()
    block_size: int = 128
    algorithm: str = "rtn"  # weight-only: rtn, hqq, gptq
    symmetric: bool = False
    calibration_samples: int = 32
    min_cosine: Optional[float] = None  # int8-dynamic cosine floor (None: 0.99, soft; 0: off); see sensitivity.py
    max_excluded: Optional[int] = None  # nodes min_cosine may keep in float32 (None: a quarter of the candidates)
    force: bool = False  # replace existing files of the user's (see workbench.core.fsutil)


@dataclass(frozen=True)
class BenchSpec:
    model: str  # an .onnx file, or a torch source for the PyTorch eager rows
    provider: str = "cpu"
    batch: int = 1
    sequence: int = 128
    iterations: int = 100
    warmup: int = 10
    time_budget_s: Optional[float] = None  # stop after this many seconds even before ``iterations``
    threads: Optional[int] = None
    io_binding: Optional[bool] = None  # None: on for CUDA
    cuda_graph: bool = False
    compare_torch: Optional[ModelSource] = None
    torch_dtype: str = "fp32"
    trust_code: bool = False  # ``model`` is a program (TorchScript, .pt2, model.py) the user allows to run
    runtime: Optional[str] = None  # a registered runtime's name; None: the one that opens the model's suffix
    # the runtime's own settings (RuntimeOptions.extra), e.g. openvino's {"hint": "THROUGHPUT", "streams": 4}
    runtime_options: dict = field(default_factory=dict)
