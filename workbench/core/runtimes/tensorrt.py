"""TensorRT as a runtime, only where NVIDIA's TensorRT Python package is importable (``import tensorrt``).

It is not installable on the machines this workbench is built and tested on: the PyPI packages ``tensorrt`` /
``tensorrt-cu12`` are stubs whose install downloads the real wheels from NVIDIA's own index (pypi.nvidia.com),
which these machines cannot reach. So nothing here builds or runs an engine: the runtime is listed by
``workbench runtimes`` as unavailable with that reason, and opening a .engine / .plan is one line saying so.
Where TensorRT is installed it is reported available, and running engines is still left to ``trtexec`` (no
session is faked).
"""

from __future__ import annotations

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.runtimes.base import Availability, Runtime

NAME = "tensorrt"
HINT = ("TensorRT is not installed: its PyPI packages (tensorrt, tensorrt-cu12) fetch NVIDIA's wheels from "
        "pypi.nvidia.com, which must be reachable; install TensorRT from NVIDIA, then build and time the engine with "
        "trtexec --onnx=model.onnx (the workbench runs the ONNX on ONNX Runtime's CUDA provider)")


def availability() -> Availability:
    try:
        import tensorrt  # noqa: F401 - presence is the answer
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"{HINT} ({first_line(err)})")
    return Availability(True, str(getattr(tensorrt, "__version__", "")), ("cuda",))


def open_session(path, options=None):
    state = availability()
    if not state.available:
        raise WorkbenchError(f"{path}: a TensorRT engine cannot be run here", HINT)
    raise WorkbenchError(f"{path}: the workbench does not run TensorRT engines itself",
                         "time it with trtexec --loadEngine=<file>, or run the ONNX on ONNX Runtime's CUDA provider")


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="TensorRT (only where NVIDIA's package is installed)",
                                 suffixes=(".engine", ".plan"), open=open_session, availability=availability))
