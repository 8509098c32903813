"""ONNX Runtime's benchmark extras over the onnxruntime runtime: IOBinding (on by default for CUDA) and CUDA graphs,
with their fallbacks and notes. Sessions are opened through the registered runtime; a plain run is the runtime's
``session.run(feeds)`` like any other's (workbench.core.bench.sampler.RuntimeSampler)."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from workbench.core.bench import memory
from workbench.core.bench.sampler import RuntimeSampler, Sampler
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.specs import BenchSpec


class OrtSampler(RuntimeSampler):
    def __init__(self, spec: BenchSpec, cancel=None, inputs: Optional[dict] = None, memory_mode: str = "run"):
        Sampler.__init__(self, spec, cancel, memory_mode)  # the path is an ONNX file's, checked as such
        from workbench.core.loading.limits import regular_file
        from workbench.core.ort import providers_for
        from workbench.core.runtimes.select import choose

        path = regular_file(spec.model, "ONNX file", "check the path, or export the model first")
        self.path = path
        self.runtime = choose(path, "onnxruntime")
        self.default_name = f"ORT {path.name}"
        self.inputs = inputs
        self.session = None
        self.io_binding = False
        self.cuda_graph = False
        self._providers, notes = providers_for(spec.provider)
        self.notes.extend(notes)  # the CUDA fallback note first, as the user asked for CUDA
        self.provider = "cuda" if "CUDAExecutionProvider" in self._providers else "cpu"

    def _session(self, cuda_graph: bool):
        """The ONNX Runtime session inside a session of the onnxruntime runtime (IOBinding needs it)."""
        # self.provider is already 'cpu' when CUDA is not available (noted in __init__): no second note then.
        options = {"enable_cuda_graph": "1"} if cuda_graph and self.provider == "cuda" else None
        self._opened = self._open({"level": "all", "provider_options": options})
        self._session_notes: list = self._opened.notes
        return self._opened.session

    def _feeds(self, session) -> dict:
        from workbench.core.bench.inputs import onnx_example_inputs
        from workbench.core.ort import feed

        source = self.inputs
        if source is None:
            source = onnx_example_inputs(self.path, self.spec.batch, self.spec.sequence)
        feeds = feed(session, source)
        self._note_batch(feeds)
        return feeds

    def _prepare(self) -> Callable[[], None]:
        spec = self.spec
        want_graph = bool(spec.cuda_graph)
        use_binding = spec.io_binding if spec.io_binding is not None else self.provider == "cuda"
        if want_graph and self.provider != "cuda":
            self.notes.append("CUDA graphs need the CUDA provider; ran without them")
            want_graph = False
        if want_graph and not use_binding:
            self.notes.append("CUDA graphs need IOBinding; turned IOBinding on")
            use_binding = True
        try:
            session = self._session(want_graph)
        except WorkbenchError as err:
            if not want_graph:
                raise
            self.notes.append(f"ONNX Runtime refused CUDA graphs for this model ({first_line(err)}); "
                              "ran without them")
            want_graph = False
            session = self._session(False)
        if self.provider == "cuda" and session.workbench_provider != "cuda":
            self.notes.extend(self._session_notes)  # the CUDA provider did not start: say so, report CPU
            self.provider = "cpu"
            want_graph = False
        if self.provider == "cuda":
            self.gpu_marks["session"] = memory.gpu_used_mb()
        feeds = self._feeds(session)
        self.session = session
        if not use_binding:
            opened = self._opened

            def run() -> None:  # the runtime's own run (its errors are one line already)
                result = opened.run(feeds)
                if self.keep_outputs:
                    self._last = result
            return run
        self.io_binding = True
        try:
            return self._bound_run(session, feeds, want_graph)
        except Exception as err:  # noqa: BLE001 - any failure of the capture: retry without CUDA graphs
            if not want_graph:
                raise
            why = first_line(err)
        self.notes.append(f"CUDA graph capture failed ({why}; every node must run on CUDA, with fixed shapes); "
                          "ran with IOBinding but without CUDA graphs")
        self.session = session = self._session(False)
        return self._bound_run(session, feeds, False)

    def _output_layout(self, session, feeds: dict) -> list:
        """[(shape, numpy dtype)] of the outputs for these feeds: from the model's output shapes, whose named
        dimensions the inputs fix (batch, sequence), else from one run of a session without CUDA graphs."""
        sizes: dict = {}
        for info in session.get_inputs():
            if info.name in feeds:
                for dim, size in zip(info.shape, np.shape(feeds[info.name])):
                    if isinstance(dim, str):
                        sizes[dim] = int(size)
        outputs = session.get_outputs()
        dtypes = [_ORT_NP.get(o.type, np.float32) for o in outputs]
        shapes = [[d if isinstance(d, int) and d >= 0 else sizes.get(d) for d in o.shape] for o in outputs]
        if all(None not in shape for shape in shapes):
            return list(zip(shapes, dtypes))
        # a dimension the inputs do not name: learn the shapes by running once, without CUDA graphs
        probe = self._open({"level": "all"}).session
        results = probe.run(None, feeds)
        del probe
        return [(list(np.shape(r)), dtype) for r, dtype in zip(results, dtypes)]

    def _bound_run(self, session, feeds: dict, cuda_graph: bool) -> Callable[[], None]:
        import onnxruntime as ort

        device = "cuda" if self.provider == "cuda" else "cpu"
        output_names = [o.name for o in session.get_outputs()]
        try:
            binding = session.io_binding()
            # Keep the OrtValues alive as long as the binding: the buffers must stay where they were bound.
            values = {name: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(arr), device, 0)
                      for name, arr in feeds.items()}
            for name, value in values.items():
                binding.bind_ortvalue_input(name, value)
            fixed = {}
            if cuda_graph:
                # ONNX Runtime captures the graph inside the very first run (it runs itself again to do so), and
                # replays write where that capture wrote: the outputs must sit at fixed addresses from the start.
                for out, (shape, dtype) in zip(output_names, self._output_layout(session, feeds)):
                    fixed[out] = ort.OrtValue.ortvalue_from_shape_and_type(shape, dtype, device, 0)
                    binding.bind_ortvalue_output(out, fixed[out])
            else:
                for name in output_names:
                    binding.bind_output(name, device, 0)
        except Exception as err:  # noqa: BLE001
            raise WorkbenchError(f"ONNX Runtime could not bind the inputs on {device}: {first_line(err)}",
                                 "run with io_binding off") from err

        def run() -> None:
            try:
                session.run_with_iobinding(binding)
            except WorkbenchError:
                raise  # the run-time guard's one line (core/loading/limits.py)
            except Exception as err:  # noqa: BLE001
                raise WorkbenchError(f"ONNX Runtime failed to run the model: {first_line(err)}",
                                     "check the input shapes and dtypes against `workbench inspect`") from err

        self._bound = (binding, values, fixed)
        if cuda_graph:
            run()  # captures the graph now, so a capture failure shows here
            self.gpu_marks["after capture"] = memory.gpu_used_mb()
            self.cuda_graph = True
        return run

    def _teardown(self) -> None:
        if self.keep_outputs:
            bound = getattr(self, "_bound", None)
            last = list(self._last.values()) if isinstance(self._last, dict) else self._last
            values = [v.numpy() for v in bound[0].get_outputs()] if bound else last
            self.outputs = [np.asarray(v, dtype=np.float32) for v in values] if values is not None else None
        self._last = None
        self._bound = None
        self.session = None
        self._opened = None


_ORT_NP = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
           "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
           "tensor(uint8)": np.uint8, "tensor(int8)": np.int8}
