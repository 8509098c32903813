"""PyTorch eager as a runtime: the reference every artifact is compared with. It opens a model source (any file
or folder a loader reads), not an exported artifact; ``run`` takes the model's named inputs as numpy arrays.

``RuntimeOptions.extra``: ``dtype`` (fp32|fp16|bf16, default fp32), ``shapes`` (input shapes for sources that
store none), ``task`` (a Hugging Face task, e.g. text-generation-with-past). Its generation decoder (the model
stepping with its own cache) is runtimes/torch_decoder.py's.
"""

from __future__ import annotations

from workbench.core.runtimes.base import Availability, Runtime, RuntimeOptions, TensorInfo

NAME = "torch"


class TorchSession:
    runtime = NAME

    def __init__(self, source, options: RuntimeOptions):
        import torch

        from workbench.core.loading import load_model

        self.notes: list = []
        self.device = "cpu"
        if options.device not in ("cpu", "cuda"):
            from workbench.core.errors import WorkbenchError

            raise WorkbenchError(f"PyTorch eager has no device '{options.device}'", "use cpu or cuda")
        if options.device == "cuda":
            if torch.cuda.is_available():
                self.device = "cuda"
            elif options.strict:
                from workbench.core.errors import WorkbenchError

                raise WorkbenchError("CUDA is not available to PyTorch here", "use --provider cpu")
            else:
                self.notes.append("CUDA is not available to PyTorch here; ran on the CPU")
        if options.threads:
            torch.set_num_threads(int(options.threads))
        extra = options.extra
        if not hasattr(source, "path"):  # a path: a ModelSource that runs no user code
            from workbench.core.specs import ModelSource

            source = ModelSource(path=str(source))
        self.loaded = load_model(source, extra.get("dtype", "fp32"), extra.get("shapes"))
        if self.device == "cuda":
            self.loaded.module.to("cuda")

    def inputs(self) -> list:
        dims = {-1: "batch", -2: "sequence"}
        return [TensorInfo(i.name, [dims.get(d, d) for d in i.shape], "int64" if i.dtype == "int64" else "float32")
                for i in self.loaded.inputs]

    def outputs(self) -> list:
        return [TensorInfo(name, [], "float32") for name in self.loaded.output_names]

    def run(self, feeds: dict) -> dict:
        import torch

        inputs = {k: (torch.from_numpy(v) if not hasattr(v, "detach") else v).to(self.device)
                  for k, v in feeds.items()}
        return self.loaded.run(inputs)

    def close(self) -> None:
        self.loaded = None


def run_module(module, inputs: dict) -> list:
    """PyTorch's reference for a module built in-process rather than opened from a source (a decoder wrapper with
    flat past inputs, an encoder with its cross-attention cache, a transformers model on given token ids): its
    tensor outputs in order, as float32 numpy arrays, under inference mode. Checks and validations that compare
    against such a module call this, so PyTorch runs in one place with the sessions above."""
    import torch

    with torch.inference_mode():
        out = module(**inputs)
    if isinstance(out, torch.Tensor):
        out = (out,)
    elif hasattr(out, "to_tuple"):  # a transformers ModelOutput: its tensors in field order (caches dropped)
        out = out.to_tuple()
    return [t.detach().float().cpu().numpy() for t in out if isinstance(t, torch.Tensor)]


def open_session(source, options: RuntimeOptions | None = None) -> TorchSession:
    return TorchSession(source, options or RuntimeOptions())


def availability() -> Availability:
    try:
        import torch
    except Exception as err:  # noqa: BLE001
        return Availability(False, hint=f'pip install "torch==2.13.0" (the CPU build): {err}')
    return Availability(True, torch.__version__, ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",))


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="PyTorch eager (the reference)",
                                 suffixes=(".safetensors", ".pt", ".pth", ".bin", ".pt2", "/"),
                                 open=open_session, availability=availability,
                                 decoder="workbench.core.runtimes.torch_decoder:open_decoder"))
