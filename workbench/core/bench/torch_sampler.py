"""PyTorch eager timed: the model opened through the torch runtime (the reference), its module called on the same
tensors each run under ``torch.inference_mode`` (outputs stay tensors, so the timing is the forward pass alone)."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from workbench.core.bench.sampler import Sampler
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.specs import BenchSpec, ModelSource


def open_reference(source, dtype: str = "fp32"):
    """A session of the torch runtime on ``source`` (its ``loaded`` is the LoadedModel)."""
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import REFERENCE

    return default_registry().runtime(REFERENCE).open(source, RuntimeOptions(extra={"dtype": dtype}))


class TorchSampler(Sampler):
    def __init__(self, source: ModelSource, spec: BenchSpec, cancel=None, inputs: Optional[dict] = None,
                 loaded=None, memory_mode: str = "run"):
        super().__init__(spec, cancel, memory_mode)
        self.source = source if isinstance(source, ModelSource) else ModelSource(path=str(source))
        self.inputs = inputs
        self.loaded = loaded
        self.inputs_used: Optional[dict] = None  # numpy copies of what ran (for other runtimes to reuse)
        self.default_name = "PyTorch eager" + ("" if spec.torch_dtype == "fp32" else f" {spec.torch_dtype}")
        self.provider = spec.provider
        self._threads_before: Optional[int] = None

    def _tensors(self, loaded, device) -> dict:
        import torch

        from workbench.core.loading.model import torch_dtype

        given = self.inputs if self.inputs is not None else loaded.make_inputs(self.spec.batch, self.spec.sequence)
        values = list(given.items())
        fdtype = torch_dtype(self.spec.torch_dtype)
        out = {}
        for i, info in enumerate(loaded.inputs):
            if info.name in given:
                value = given[info.name]
            elif i < len(values):
                value = values[i][1]
            else:
                raise WorkbenchError(f"no value for the PyTorch input '{info.name}'",
                                     f"the model expects: {', '.join(loaded.input_names)}")
            tensor = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(value))
            tensor = tensor.to(torch.int64) if info.dtype == "int64" else tensor.to(fdtype)
            out[info.name] = tensor.to(device)
        self.inputs_used = {k: (v.float() if v.is_floating_point() else v).cpu().numpy() for k, v in out.items()}
        from workbench.core.bench.inputs import effective_batch

        self.batch = effective_batch(out, self.spec.batch)
        return out

    def _prepare(self) -> Callable[[], None]:
        import torch

        if self.spec.threads:
            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(int(self.spec.threads))
        device = "cpu"
        if self.spec.provider == "cuda":
            if torch.cuda.is_available():
                device = "cuda"
            else:
                self.notes.append("PyTorch has no CUDA here (a CUDA build of torch and a GPU are needed); "
                                  "ran on the CPU")
        self.provider = device
        loaded = self.loaded or open_reference(self.source, self.spec.torch_dtype).loaded
        if loaded.dtype != self.spec.torch_dtype:
            self.notes.append(f"the PyTorch model was loaded as {loaded.dtype}, not {self.spec.torch_dtype}")
        module = loaded.module
        if hasattr(module, "to"):
            module = module.to(device)
        if hasattr(module, "eval"):
            module.eval()
        tensors = self._tensors(loaded, device)
        sync = torch.cuda.synchronize if device == "cuda" else None

        def run() -> None:
            try:
                with torch.inference_mode():
                    result = module(**tensors)
                if self.keep_outputs:
                    self._last = result
                if sync is not None:
                    sync()
            except WorkbenchError:
                raise
            except Exception as err:  # noqa: BLE001
                raise WorkbenchError(f"PyTorch failed to run the model: {first_line(err)}",
                                     "check that the model runs on these input shapes") from err
        return run

    def _teardown(self) -> None:
        if self.keep_outputs and self._last is not None:
            values = self._last if isinstance(self._last, (tuple, list)) else [self._last]
            self.outputs = [v.detach().float().cpu().numpy() for v in values if hasattr(v, "detach")]
        self._last = None
        if self._threads_before is not None:
            import torch

            torch.set_num_threads(self._threads_before)
            self._threads_before = None
