"""ONNX Runtime as a runtime: CPU, and CUDA through onnxruntime-gpu (workbench.core.ort holds the session
building, provider fallback notes and error wording; this module is the runtime contract over it). Its generation
decoders (an exported decoder with past, the GroupQueryAttention one) are runtimes/ort_decoder.py's.

``RuntimeOptions.extra``: ``level`` (disable|basic|extended|all, default all), ``provider_options`` (for the CUDA
provider, e.g. ``{"enable_cuda_graph": "1"}``), ``session_options`` (an ``ort.SessionOptions`` to start from),
``data`` (a serialized model, under protobuf's 2 GB, loaded instead of the file, whose path then only names it in
messages: a graph built in memory, e.g. locate's model with exposed intermediates), ``quiet`` (True: ORT's own log
line of a failing run is kept off the console; the failure is still raised, as one line).
"""

from __future__ import annotations

from workbench.core.runtimes.base import Availability, Runtime, RuntimeOptions, TensorInfo

NAME = "onnxruntime"
_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
           "tensor(bfloat16)": "bfloat16", "tensor(int64)": "int64", "tensor(int32)": "int32",
           "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(bool)": "bool"}


def _info(arg) -> TensorInfo:
    return TensorInfo(name=arg.name, shape=list(arg.shape), dtype=_DTYPES.get(arg.type, arg.type))


class OrtSession:
    runtime = NAME
    run_options = None  # also for sessions built around an InferenceSession of their own (runtimes/encrypted.py)

    def __init__(self, path, options: RuntimeOptions):
        from workbench.core import ort

        self.notes: list = []
        extra = dict(options.extra)
        self.session = ort.make_session(path, options.device, options.threads, extra.get("level", "all"),
                                        extra.get("session_options"),
                                        provider_options=extra.get("provider_options"), notes=self.notes,
                                        strict=options.strict, data=extra.get("data"))
        self.run_options = None
        if extra.get("quiet"):
            import onnxruntime

            self.run_options = onnxruntime.RunOptions()
            self.run_options.log_severity_level = 4
        self.device = self.session.workbench_provider
        self.path = str(path)

    def inputs(self) -> list:
        return [_info(i) for i in self.session.get_inputs()]

    def outputs(self) -> list:
        return [_info(o) for o in self.session.get_outputs()]

    def feed(self, inputs: dict, names: list | None = None) -> dict:
        """Example inputs (torch or numpy) mapped onto this file's inputs and dtypes (see ort.feed)."""
        from workbench.core import ort

        return ort.feed(self.session, inputs, names)

    def run(self, feeds: dict) -> dict:
        from workbench.core import ort

        return ort.run(self.session, feeds, self.run_options)

    def generate(self, prompt_ids, max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0, seed: int = 0):
        """Token by token on a decoder exported with past key values (runtimes/ort_decoder.py), on this session;
        another model is a one-line error."""
        from workbench.core.runtimes.ort_decoder import session_generate

        return session_generate(self, prompt_ids, max_new_tokens, temperature=temperature, top_k=top_k, seed=seed)

    def close(self) -> None:
        self.session = None


def open_session(path, options: RuntimeOptions | None = None) -> OrtSession:
    return OrtSession(path, options or RuntimeOptions())


def availability() -> Availability:
    try:
        import onnxruntime as ort
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"pip install onnxruntime (or onnxruntime-gpu, never both): {err}")
    devices = ("cpu", "cuda") if "CUDAExecutionProvider" in ort.get_available_providers() else ("cpu",)
    return Availability(True, ort.__version__, devices)


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="ONNX Runtime (CPU; CUDA with onnxruntime-gpu)",
                                 suffixes=(".onnx",), open=open_session, availability=availability, generates=True,
                                 decoder="workbench.core.runtimes.ort_decoder:open_decoder"))
