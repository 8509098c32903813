"""Job functions the GUI tests run in child processes (imported there by reference, so module-level)."""

import os
import time
from pathlib import Path


def slow_writer(output: str, seconds: float = 120.0, progress=None, cancel=None):
    """Writes into a staging folder (as the engine does, through fsutil), then keeps working until killed."""
    from workbench.core.fsutil import staged_output

    out = Path(output)
    with staged_output(out) as staged:
        staged.write_bytes(b"half written")
        end = time.monotonic() + seconds
        step = 0
        while time.monotonic() < end:
            step += 1
            if progress:
                progress(min(0.99, step / 1000), f"working {step}")
            time.sleep(0.05)
    return str(out)


def crash(progress=None, cancel=None):
    """A native crash in the middle of a job."""
    if progress:
        progress(0.3, "about to crash")
    time.sleep(0.2)
    os.abort()


def quick(value, progress=None, cancel=None):
    if progress:
        progress(0.5, "half way")
    return {"value": value, "pid": os.getpid()}


def fail_with_workbench_error(progress=None, cancel=None):
    from workbench.core.errors import WorkbenchError

    raise WorkbenchError("the model folder has no config.json", "choose a Hugging Face model folder")


def spawns_grandchild(pid_file: str, progress=None, cancel=None):
    """Starts a process of its own (as the engine's isolated benchmarks do), then works until killed."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    Path(pid_file).write_text(str(child.pid))
    while True:
        if progress:
            progress(0.5, "waiting")
        time.sleep(0.05)


def logs_a_warning(progress=None, cancel=None):
    import logging

    logging.getLogger("workbench.core.export").warning("opset raised in the child")
    return "ok"
