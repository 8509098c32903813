"""Job functions tests/core/test_job_runner.py runs in spawned children (imported there by reference)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def counts(n, progress=None, cancel=None):
    for i in range(n):
        progress(i / n, f"step {i}")
    return {"n": n, "pid": os.getpid()}


def refuses(progress=None, cancel=None):
    from workbench.core.errors import WorkbenchError

    progress(0.1, "checking")
    raise WorkbenchError("the model has no inputs", "export it again with its example inputs")


def segfaults(progress=None, cancel=None):
    progress(0.2, "about to crash")
    os.kill(os.getpid(), signal.SIGSEGV)


def exits_silently(progress=None, cancel=None):
    os._exit(7)  # neither a result nor an error


def with_grandchild(pid_file: str, progress=None, cancel=None):
    """Starts a process of its own (as the engine's isolated benchmarks do), then works until killed."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    Path(pid_file).write_text(str(child.pid))
    while True:
        progress(0.5, "grandchild started")
        time.sleep(0.05)


def streams(n, progress=None, cancel=None):
    def items():
        for i in range(n):
            yield {"iteration": i}
        return {"count": n}
    return items()


def staged_writer(output: str, progress=None, cancel=None):
    """Writes into a staging folder (through fsutil, as the engine does) and keeps working until killed."""
    from workbench.core.fsutil import staged_output

    with staged_output(Path(output)) as staged:
        staged.write_bytes(b"half written")
        while True:
            progress(0.5, "writing")
            time.sleep(0.05)


def logs(progress=None, cancel=None):
    import logging

    logging.getLogger("workbench.core.export").warning("opset %d was raised to %d", 14, 17)
    logging.getLogger("workbench.core.export").debug("too fine to forward")
    return "ok"


def raises_value_error(progress=None, cancel=None):
    raise ValueError("bad shape\nsecond line")


def killed(progress=None, cancel=None):
    os.kill(os.getpid(), signal.SIGKILL)
