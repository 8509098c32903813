"""What every job returns. Plain dataclasses; ``to_dict()`` is the JSON the CLI prints with --json."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional


class _Json:
    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        if hasattr(self, "outcome"):  # results that can fail: "ok" and, when not, the "reason" (the CLI exits 1)
            data["ok"], data["reason"] = self.outcome()
        return data


@dataclass
class TensorInfo(_Json):
    name: str
    dtype: str
    shape: list


@dataclass
class InspectResult(_Json):
    """``format`` is one of safetensors, safetensors-sharded, hf-folder, pytorch, torchscript, torch-export, onnx."""

    path: str
    format: str
    tensors: list = field(default_factory=list)  # [TensorInfo] for checkpoints
    parameters: Optional[int] = None
    bytes_by_dtype: dict = field(default_factory=dict)
    total_bytes: int = 0
    metadata: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)  # plain-words pre-flight problems that block a conversion
    notes: list = field(default_factory=list)  # plain-words observations that do not block anything
    default_dynamic_axes: dict = field(default_factory=dict)  # HF folders: what export makes dynamic by default
    files: list = field(default_factory=list)
    # ONNX
    inputs: list = field(default_factory=list)  # [TensorInfo]
    outputs: list = field(default_factory=list)
    opset: dict = field(default_factory=dict)  # {domain: version}
    op_counts: dict = field(default_factory=dict)
    node_count: int = 0
    initializer_bytes: int = 0
    external_data: list = field(default_factory=list)

    def outcome(self) -> tuple:
        if not self.problems:
            return True, None
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return False, f"{len(self.problems)} blocking problem{'s' if len(self.problems) > 1 else ''}: " \
                      f"{self.problems[0]}{more}"


@dataclass
class ExportResult(_Json):
    outputs: list  # every file written (model.onnx, model.onnx.data, ...)
    exporter: str  # the exporter that produced the file
    target: str = "onnx"
    fallback_reason: Optional[str] = None  # why the dynamo exporter was not used, when it fell back
    input_names: list = field(default_factory=list)
    output_names: list = field(default_factory=list)
    dynamic_axes: dict = field(default_factory=dict)
    example_shapes: dict = field(default_factory=dict)
    # Read back from the written file: {name: [size or dimension name]} ("?" for an unnamed dynamic dimension)
    input_shapes: dict = field(default_factory=dict)
    output_shapes: dict = field(default_factory=dict)
    opset: Optional[int] = None
    dtype: str = "fp32"
    family_settings: dict = field(default_factory=dict)  # settings applied for the model family
    seconds: float = 0.0
    notes: list = field(default_factory=list)  # how the export went, in words (e.g. the lean path, or why not)

    @property
    def path(self) -> str:
        return self.outputs[0]


@dataclass
class OutputDiff(_Json):
    name: str
    shape: list
    max_abs_diff: float
    max_rel_diff: float  # max |a - b| / max |reference|
    cosine: float
    passed: bool


@dataclass
class ValidateResult(_Json):
    passed: bool
    outputs: list  # [OutputDiff], worst over the shapes tried
    shapes_tried: list
    rtol: float
    atol: float
    checker: str = "ok"
    shape_inference: str = "ok"
    runs: list = field(default_factory=list)  # per shape: {"shape", "inputs": {name: shape}, "outputs"}
    static: bool = False  # every input dimension of the file is fixed: compared at that one shape
    notes: list = field(default_factory=list)
    reason: Optional[str] = None  # why it failed, in words
    # with ValidateSpec.locate: the first diverging node (workbench.core.locate), None when none diverges
    divergence: Optional[dict] = None
    locate_checked: int = 0  # boundary values compared by locate

    def outcome(self) -> tuple:
        if self.passed:
            return True, None
        bad = next((o for o in self.outputs if not o.passed), None)
        return False, self.reason or (f"output '{bad.name}' differs from PyTorch (max rel diff "
                                      f"{bad.max_rel_diff:.3g})" if bad else "validation failed")


@dataclass
class OptimizeResult(_Json):
    output: str
    steps: list  # [{"name", "applied", "nodes_before", "nodes_after", "detail"}]
    nodes_before: int
    nodes_after: int
    op_counts_before: dict = field(default_factory=dict)
    op_counts_after: dict = field(default_factory=dict)
    validation: Optional[ValidateResult] = None

    def outcome(self) -> tuple:
        if self.validation is None or self.validation.passed:
            return True, None
        return False, f"the optimized model fails validation: {self.validation.outcome()[1]}"


@dataclass
class Fidelity(_Json):
    cosine: float  # min over outputs and samples
    max_abs_diff: float
    per_output: list = field(default_factory=list)  # [{"name", "cosine", "max_abs_diff"}]


@dataclass
class QuantizeResult(_Json):
    output: str
    mode: str
    size_bytes: dict  # {"before": int, "after": int}
    fidelity: Fidelity
    settings: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)
    targeting: Optional[dict] = None  # int8 min_cosine: kept_fp32, sensitivity table, size/latency cost
    passed: Optional[bool] = None  # fidelity cosine >= floor (the dtype's floor, validate.py's tables)
    floor: Optional[float] = None
    notes: list = field(default_factory=list)

    def outcome(self) -> tuple:
        if self.passed is not False:
            return True, None
        return False, (f"fidelity cosine {self.fidelity.cosine:.4f} is below the {self.mode} floor {self.floor:g}; "
                       f"the file is still written: {self.output}")


@dataclass
class BenchSample(_Json):
    iteration: int
    latency_ms: float
    rss_mb: float
    gpu_mb: Optional[float] = None
    elapsed_s: float = 0.0


@dataclass
class BenchResult(_Json):
    name: str  # "ORT fp32", "PyTorch eager", ...
    provider: str
    latency_ms: dict  # p50 p95 p99 mean min max
    throughput_per_s: float
    peak_rss_mb: float
    gpu_peak_mb: Optional[float] = None
    iterations: int = 0
    batch: int = 1
    sequence: int = 0
    notes: list = field(default_factory=list)
    samples: list = field(default_factory=list)  # latencies in ms, for plots
    torch: list = field(default_factory=list)  # [BenchResult] with --compare-torch


@dataclass
class RunResult(_Json):
    output_dir: str
    report_json: str
    report_html: str
    steps: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    def outcome(self) -> tuple:
        if not self.failed:
            return True, None
        return False, f"{len(self.failed)} step{'s' if len(self.failed) > 1 else ''} failed: {'; '.join(self.failed)}"


@dataclass
class GenerateResult(_Json):
    """One generation: the new text and token ids, time to first token (the prefill), decode step latencies and
    tokens per second (new tokens over the whole generation); ``agreement`` with --compare-torch."""

    text: str
    tokens: list
    ttft_ms: float
    decode_ms: dict  # p50, p95 (None when only one token was generated)
    tokens_per_s: float
    # {"rate", "first_divergence", "torch_tokens", "torch_text", "expect_identical", "passed", "reason",
    #  "diverging": {"step", "model", "torch"} on a greedy difference}: generate.judge
    agreement: Optional[dict] = None
    prompt_tokens: int = 0
    model: str = ""
    runtime: str = ""  # "onnxruntime" or "pytorch"
    provider: str = "cpu"
    notes: list = field(default_factory=list)
    encoder_ms: Optional[float] = None  # encoder-decoder exports: the source's one encoder run (inside ttft_ms)

    def outcome(self) -> tuple:
        agree = self.agreement or {}
        if agree.get("passed") is False:
            return False, agree["reason"]
        if agree.get("expect_identical") and agree.get("rate", 1.0) < 1.0:
            return False, (f"greedy tokens differ from PyTorch: {agree['rate'] * 100:.1f}% identical, first "
                           f"different at token {agree['first_divergence']}")
        return True, None


@dataclass
class GenerateBenchRow(_Json):
    name: str  # "PyTorch eager", "ORT model.onnx", ...
    runtime: str
    provider: str
    batch: int
    ttft_ms: float  # prefill of the prompt and the first token
    decode_ms: dict  # p50, p95 of one decode step (one new token per row)
    tokens_per_s: float  # new tokens (all rows) over the whole generation, prefill included
    peak_rss_mb: float
    agreement: Optional[dict] = None  # batch-1 greedy tokens vs PyTorch: {"rate", "first_divergence"}
    new_tokens: int = 0
    notes: list = field(default_factory=list)
    encoder_ms: Optional[float] = None  # encoder-decoder: median encoder run (inside ttft_ms)
    prompt_tokens_per_s: Optional[float] = None  # prompt tokens (all rows) over the median TTFT: prompt processing


@dataclass
class GenerateBenchResult(_Json):
    rows: list  # [GenerateBenchRow]: PyTorch first, then each ONNX variant; batch 1 then batch N
    prompt_tokens: int
    max_new_tokens: int
    batches: list = field(default_factory=list)
    notes: list = field(default_factory=list)
