"""cuBLAS's workspace in a process that runs ONNX Runtime on CUDA.

ONNX Runtime's CUDA provider has no option for it, and cuBLAS's default on Hopper is large: the fixed part of a
session (a one-node model) was 148 MB over the CUDA context with cuBLAS's default and 20 MB with no workspace
(benchmarks/results/gpu_memory_h200.md). cuBLAS takes its size from ``CUBLAS_WORKSPACE_CONFIG`` once per process
(setting it after PyTorch had used cuBLAS changed nothing: benchmarks/results/gpu_h200_fusions.md), so
:func:`apply` puts :data:`DEFAULT` into the environment before the first CUDA provider is asked for, unless

- the user set ``CUBLAS_WORKSPACE_CONFIG`` (theirs is kept), or ``WORKBENCH_CUBLAS_WORKSPACE`` (a value in
  cuBLAS's ``:KiB:count`` form to use instead, or ``default``: leave cuBLAS its own), or
- cuBLAS is already loaded in this process (PyTorch on CUDA, say): then it is too late, and :func:`late_note`
  says so in the benchmark's notes instead of the run quietly using another workspace than the README's.

The size was chosen by ``benchmarks/gpu_workspace.py`` (speed and memory of each setting in a fresh process).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError

ENV = "CUBLAS_WORKSPACE_CONFIG"
OVERRIDE = "WORKBENCH_CUBLAS_WORKSPACE"
DEFAULT = ":4096:1"  # one 4 MiB buffer (see the module's docstring for how it was chosen)
_FORM = re.compile(r"^(:\d+:\d+)+$")

_state: Optional[str] = None  # 'user', 'workbench', 'cublas' (asked for cuBLAS's own), 'late'; None: not yet


def _cublas_loaded() -> bool:
    """Whether a cuBLAS library is mapped into this process (Linux; elsewhere: unknown, taken as not)."""
    try:
        return "libcublas" in Path("/proc/self/maps").read_text(errors="replace")
    except OSError:
        return False


def apply() -> str:
    """Set the workspace for this process if nobody has (see the module's docstring); returns the state."""
    global _state
    if _state is not None:
        return _state
    if ENV in os.environ:
        _state = "user"
        return _state
    choice = os.environ.get(OVERRIDE, DEFAULT).strip()
    if choice == "default":
        _state = "cublas"
    elif not _FORM.match(choice):
        raise WorkbenchError(f"{OVERRIDE} must be cuBLAS's workspace form (':KiB:count', e.g. ':4096:1') or "
                             f"'default', not '{choice}'", f"unset {OVERRIDE}, or give e.g. :4096:1")
    elif _cublas_loaded():
        _state = "late"
    else:
        os.environ[ENV] = choice
        _state = "workbench"
    return _state


def late_note() -> Optional[str]:
    """A note for results when the workbench's workspace could not be set (cuBLAS was loaded first), else None."""
    if _state != "late":
        return None
    return (f"cuBLAS was loaded in this process before the first CUDA session, so its workspace is cuBLAS's own "
            f"default, not the workbench's {os.environ.get(OVERRIDE, DEFAULT).strip()} (GPU memory is higher); "
            f"run CUDA work in a process of its own, or set {ENV} before starting")
