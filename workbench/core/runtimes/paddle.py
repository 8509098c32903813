"""Paddle Inference as a runtime: a Paddle inference model (model.json or .pdmodel + .pdiparams, see
workbench.core.loading.paddle_files) run by ``paddle.inference.create_predictor`` on the CPU. It is the reference a
Paddle model's ONNX export is validated against (workbench.core.paddle_validate) and a row of ``bench``.

``threads`` becomes ``set_cpu_math_library_num_threads``; ``RuntimeOptions.extra``: ``onednn`` (True/False, default
False: oneDNN's fused kernels differ from the plain ones in the last bits; turn it on to measure the fast path),
``ir_optim`` (Paddle's graph passes, default True).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.runtimes.base import Availability, Runtime, RuntimeOptions, TensorInfo

NAME = "paddle"
INSTALL = "pip install paddlepaddle paddle2onnx (in the workbench's main dependencies: reinstall with -c constraints.txt)"


def import_paddle_inference():
    os.environ.setdefault("GLOG_minloglevel", "2")  # Paddle's C++ log lines (pass names) stay off the console
    try:
        import paddle.inference as inference
    except ImportError as err:
        raise WorkbenchError(f"Paddle is not installed here ({first_line(err)})", INSTALL) from None
    return inference


def _info(info) -> TensorInfo:
    """A runtime TensorInfo from the program's declared tensor (inspect's reading): dynamic dims named by place."""
    return TensorInfo(name=info.name, shape=[d if isinstance(d, int) else f"dim{i}" for i, d in enumerate(info.shape)],
                      dtype=info.dtype)


class PaddleSession:
    runtime = NAME
    device = "cpu"
    precision = "fp32"

    def __init__(self, path, options: RuntimeOptions):
        from workbench.core.loading.paddle_files import read_program

        inference = import_paddle_inference()
        program, params, declared_in, declared_out = read_program(path)[:4]
        self.notes: list = []
        if options.device.lower() != "cpu":
            if options.strict:
                raise WorkbenchError(f"the paddle runtime runs on the CPU only, not '{options.device}'",
                                     "use --provider cpu")
            self.notes.append(f"the paddle runtime runs on the CPU only; '{options.device}' was not used")
        config = inference.Config(str(program), str(params))
        config.disable_gpu()
        config.disable_glog_info()
        if not options.extra.get("onednn"):
            config.disable_mkldnn()
        config.switch_ir_optim(bool(options.extra.get("ir_optim", True)))
        if options.threads:
            config.set_cpu_math_library_num_threads(int(options.threads))
        try:
            self.predictor = inference.create_predictor(config)
        except Exception as err:  # noqa: BLE001 - Paddle's own error types
            raise WorkbenchError(f"Paddle Inference cannot load {program.name}: {first_line(err)}",
                                 "re-save the model with paddle.jit.save (program and .pdiparams together)") from err
        self.path = str(program)
        by_name = {i.name: i for i in declared_in}  # a handle's shape() is [0] until it is fed: the program's
        self._inputs = [_info(by_name[n]) for n in self.predictor.get_input_names()]
        self._output_names = list(self.predictor.get_output_names())
        self._outputs = [_info(o) for o in declared_out]

    def inputs(self) -> list:
        return list(self._inputs)

    def outputs(self) -> list:
        return [TensorInfo(name=n, shape=o.shape, dtype=o.dtype) for n, o in zip(self._output_names, self._outputs)]

    def run(self, feeds: dict) -> dict:
        import numpy as np

        for name in self.predictor.get_input_names():
            handle = self.predictor.get_input_handle(name)
            value = np.ascontiguousarray(feeds[name])
            handle.reshape(list(value.shape))
            handle.copy_from_cpu(value)
        self.predictor.run()
        return {n: self.predictor.get_output_handle(n).copy_to_cpu() for n in self._output_names}

    def close(self) -> None:
        self.predictor = None


def open_session(path, options: RuntimeOptions | None = None) -> PaddleSession:
    return PaddleSession(path, options or RuntimeOptions())


def availability() -> Availability:
    try:
        import paddle

        return Availability(True, paddle.__version__, ("cpu",))
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"{INSTALL}: {first_line(err)}")


@dataclass
class PaddleRuntime(Runtime):
    def opens(self, path) -> bool:
        from workbench.core.loading.paddle_files import is_paddle

        return is_paddle(path)


def register(registry) -> None:
    registry.add_runtime(PaddleRuntime(name=NAME, description="Paddle Inference (CPU)",
                                       suffixes=(".pdmodel", ".json"), open=open_session, availability=availability))
