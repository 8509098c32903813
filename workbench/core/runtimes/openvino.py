"""OpenVINO as a runtime: an IR (model.xml + model.bin) or, with ``--runtime openvino``, an .onnx file, compiled by
``ov.Core().compile_model`` for a device ("cpu" -> "CPU"; other names such as "GPU.0" pass through).

``RuntimeOptions.extra``: ``hint`` (LATENCY|THROUGHPUT, OpenVINO's PERFORMANCE_HINT), ``streams``
(NUM_STREAMS, an int or "AUTO"), ``requests`` (infer requests in flight in throughput mode; default OpenVINO's
OPTIMAL_NUMBER_OF_INFER_REQUESTS), ``inference_precision`` (INFERENCE_PRECISION_HINT: "f32" by default, "bf16" or
"f16" to trade accuracy for speed). ``threads`` becomes INFERENCE_NUM_THREADS.

OpenVINO's CPU plugin computes in bf16 on its own where the CPU has bf16 units, whatever the IR holds; the
workbench asks for f32 unless told otherwise, so a result is the IR's precision, not the machine's.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.base import Availability, Runtime, RuntimeOptions, TensorInfo

NAME = "openvino"
INSTALL = "pip install openvino (it is in the workbench's main dependencies: reinstall with -c constraints.txt)"
HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")


def _device(name: str) -> str:
    return "CPU" if name.lower() == "cpu" else name  # OpenVINO's own names ("GPU.0", "AUTO") pass through


def _config(options: RuntimeOptions) -> dict:
    config = {}
    if options.threads:
        config["INFERENCE_NUM_THREADS"] = int(options.threads)
    hint = options.extra.get("hint")
    if hint:
        if str(hint).upper() not in HINTS:
            raise WorkbenchError(f"unknown OpenVINO performance hint '{hint}'", f"use one of: {', '.join(HINTS)}")
        config["PERFORMANCE_HINT"] = str(hint).upper()
    config["INFERENCE_PRECISION_HINT"] = str(options.extra.get("inference_precision") or "f32")
    if options.extra.get("streams") is not None:
        config["NUM_STREAMS"] = str(options.extra["streams"])
    return config


def _dims(partial_shape) -> list:
    """Fixed dims as ints; dynamic ones by the name the IR keeps (the ONNX dim_param survives conversion as a
    symbol only, so a dynamic dim is named by its place: 'dim<i>')."""
    return [d.get_length() if d.is_static else f"dim{i}" for i, d in enumerate(partial_shape)]


def _info(port) -> TensorInfo:
    names = sorted(port.get_names())
    name = port.get_any_name() if names else f"output{port.get_index()}"
    return TensorInfo(name=name, shape=_dims(port.get_partial_shape()), dtype=port.get_element_type().to_dtype().name)


class OpenVinoSession:
    runtime = NAME

    def __init__(self, path, options: RuntimeOptions):
        import openvino as ov

        self.notes: list = []
        self.path = str(path)
        path = Path(self.path)
        memory = options.extra.get("memory")  # (xml bytes, bin bytes): a decrypted IR, never written to disk
        if memory is None and path.suffix.lower() == ".xml" and not path.with_suffix(".bin").is_file():
            raise WorkbenchError(f"{path}: its weights file {path.with_suffix('.bin').name} is missing",
                                 "keep the .xml and .bin an export wrote side by side")
        core = ov.Core()
        device = _device(options.device)
        if device not in core.available_devices and device not in ("AUTO", "MULTI", "HETERO") and not \
                device.split(".")[0] in {d.split(".")[0] for d in core.available_devices}:
            if options.strict:
                raise WorkbenchError(f"OpenVINO has no device '{device}' here",
                                     f"devices here: {', '.join(core.available_devices)}")
            self.notes.append(f"OpenVINO has no device '{device}' here; it runs on CPU")
            device = "CPU"
        try:
            if memory is not None:
                import numpy as np

                self.model = core.read_model(memory[0].decode(), ov.Tensor(np.frombuffer(memory[1], np.uint8).copy()))
            else:
                self.model = core.read_model(self.path)
        except RuntimeError as err:  # OpenVINO's reader: a truncated .xml, a .bin shorter than the .xml says
            raise WorkbenchError(f"{path.name}: not a readable OpenVINO IR ({read_error(err, path)})",
                                 "re-export it (workbench export SRC -o OUT.xml --target openvino) and keep the "
                                 ".xml and .bin it wrote together") from None
        self.precision = _precision(self.model)
        config = _config(options)
        self._core, self._device, self._config = core, device, config  # run_exposed compiles a copy the same way
        self.compiled = core.compile_model(self.model, device, config)
        self.device = device.lower() if device == "CPU" else device
        self.request = self.compiled.create_infer_request()
        # benchmark_app's throughput mode: several requests in flight at once (bench's sampler runs them in rounds)
        throughput = config.get("PERFORMANCE_HINT") in ("THROUGHPUT", "CUMULATIVE_THROUGHPUT") or \
            str(config.get("NUM_STREAMS", "1")) not in ("1", "0")
        self.in_flight = int(options.extra.get("requests") or (self.compiled.get_property(
            "OPTIMAL_NUMBER_OF_INFER_REQUESTS") if throughput else 1))
        self._requests = [self.request] + [self.compiled.create_infer_request() for _ in range(self.in_flight - 1)]
        if self.in_flight > 1:
            self.notes.append(f"OpenVINO throughput mode: {self.in_flight} requests on "
                              f"{self.compiled.get_property('NUM_STREAMS')} streams")
        self._output_names = [info.name for info in self.outputs()]  # once: run() is in bench's timed loop

    def inputs(self) -> list:
        return [_info(p) for p in self.compiled.inputs]

    def outputs(self) -> list:
        return [_info(p) for p in self.compiled.outputs]

    def run(self, feeds: dict) -> dict:
        results = self.request.infer(feeds)
        return {name: results[port] for name, port in zip(self._output_names, self.compiled.outputs)}

    def run_in_flight(self, feeds: dict) -> dict:
        """Every request started at once on the same feeds, then all awaited; the first one's outputs."""
        for request in self._requests:
            request.start_async(feeds)
        for request in self._requests:
            request.wait()
        results = self._requests[0].results
        return {name: results[port] for name, port in zip(self._output_names, self.compiled.outputs)}

    def run_exposed(self, feeds: dict, names: list) -> dict:
        """One run with the IR's intermediate tensors ``names`` as extra outputs (``validate --locate``): the IR
        keeps the ONNX tensor names (OpenVINO's ONNX frontend names each output by them), added to a copy of the
        model with ``ov.Model.add_outputs`` and compiled as this session's; a name the conversion fused away is left
        out of the answer. {name: array} of those it has."""
        own = {n for port in self.model.outputs for n in port.get_names()}
        known = {n for op in self.model.get_ops() if op.get_type_name() not in ("Constant", "Parameter")
                 for out in op.outputs() for n in out.get_names()}
        wanted = [n for n in dict.fromkeys(names) if n in known and n not in own]
        if not wanted:
            return {}
        model = self.model.clone()
        model.add_outputs(wanted)
        compiled = self._core.compile_model(model, self._device, self._config)
        results = compiled.create_infer_request().infer(feeds)
        found = {}
        for port in compiled.outputs:
            for name in port.get_names() & set(wanted):
                found[name] = results[port]
        return found

    def generate(self, prompt_ids, max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0, seed: int = 0):
        """Token by token on a decoder IR (runtimes/openvino_decoder.py); another model is a one-line error."""
        from workbench.core.runtimes.openvino_decoder import generate

        return generate(self, prompt_ids, max_new_tokens, temperature=temperature, top_k=top_k, seed=seed)

    def close(self) -> None:
        self.request = self.compiled = self.model = None
        self._requests = []


def read_error(err: BaseException, path: Path) -> str:
    """OpenVINO's reason in a few words: its message's own line, not the 'Exception from' / 'Check ...' frames."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    said = [ln for ln in lines if not ln.startswith(("Exception from", "Check '"))]
    reason = (said or lines or [type(err).__name__])[0][:160]
    if "weights" in reason.lower() and "bin" in reason.lower():
        return f"{path.with_suffix('.bin').name} does not hold the weights the .xml expects: truncated, or from " \
               "another export"
    return reason


def _precision(model) -> str:
    """What the IR's weights hold: 'int4'/'int8' where NNCF compressed them (u4/i4, u8/i8 Constants, or the
    FakeQuantize ops of nncf.quantize), 'fp16' where save_model compressed them (f16 Constants feeding Converts)."""
    ops = model.get_ops()
    types = {op.get_output_element_type(0).get_type_name() for op in ops if op.get_type_name() == "Constant"}
    if types & {"u4", "i4"}:
        return "int4"
    if types & {"u8", "i8"} or any(op.get_type_name() == "FakeQuantize" for op in ops):
        return "int8"
    return "fp16" if "f16" in types else "fp32"


def open_session(path, options: RuntimeOptions | None = None) -> OpenVinoSession:
    return OpenVinoSession(path, options or RuntimeOptions())


def availability() -> Availability:
    try:
        import openvino as ov

        devices = tuple(d.lower() if d == "CPU" else d for d in ov.Core().available_devices)
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"{INSTALL}: {err}")
    return Availability(True, ov.__version__, devices)


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="OpenVINO (CPU; device names passed through)",
                                 suffixes=(".xml",), open=open_session, availability=availability, generates=True,
                                 decoder="workbench.core.runtimes.openvino_decoder:open_decoder"))
