"""Nothing leaves the machine, and third-party chatter goes to the log, not the user's terminal.

* ``keep_local()`` (run when ``workbench`` is imported, so before onnxruntime is): ONNX Runtime 1.29+ on Linux
  uploads telemetry to mobile.events.data.microsoft.com (1DS) and keeps a device id and an event database under
  ~/.cache/Microsoft/DeveloperTools/.onnxruntime/; ``ORT_DISABLE_TELEMETRY=1``, read once when onnxruntime is
  imported, turns all of it off (``onnxruntime.disable_telemetry_events()`` does not: the uploader already runs).
  ``HF_HUB_DISABLE_TELEMETRY`` and ``DO_NOT_TRACK`` do the same for huggingface_hub and friends. A value the user
  set is kept.
* ``quiet_warnings(debug)``: Python warnings (torch's deserialization and pickle-protocol UserWarnings, ...) go to
  the ``py.warnings`` logger, shown on stderr only with ``--debug``.
* ``quiet_onnxruntime(debug)``: ONNX Runtime's default logger (coloured ``[W:onnxruntime:...]`` lines of sessions
  the quantizers and optimizers create) at ERROR, unless ``--debug``.
"""

from __future__ import annotations

import logging
import os

LOCAL_ENV = {"ORT_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}  # the CLI: its own progress lines

_state = {"debug": False, "ort": False}


def keep_local(offline: bool = False) -> None:
    """Opt out of every telemetry the workbench's libraries have (and with ``offline``, of hub downloads)."""
    import sys

    late = "onnxruntime" in sys.modules and "ORT_DISABLE_TELEMETRY" not in os.environ
    for key, value in {**LOCAL_ENV, **(OFFLINE_ENV if offline else {})}.items():
        os.environ.setdefault(key, value)
    if late:  # ORT reads the switch once, at import: a program that imported it first must set it itself
        logging.getLogger("workbench").warning(
            "onnxruntime was imported before workbench, so its telemetry stays on; set ORT_DISABLE_TELEMETRY=1 "
            "in the environment (or import workbench first)")


def quiet_warnings(debug: bool = False) -> None:
    logging.captureWarnings(True)
    log = logging.getLogger("py.warnings")
    log.propagate = False
    for handler in list(log.handlers):
        log.removeHandler(handler)
    if debug:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        log.addHandler(handler)
    else:
        log.addHandler(logging.NullHandler())  # not logging's last-resort handler, which prints to stderr
    _state["debug"] = debug


def debugging() -> bool:
    """True after ``quiet_warnings(debug=True)`` (the CLI's --debug)."""
    return _state["debug"]


def quiet_onnxruntime(debug: bool | None = None) -> None:
    """Set ONNX Runtime's default logger to ERROR (WARNING with --debug); once per process."""
    debug = _state["debug"] if debug is None else debug
    if _state["ort"] == ("debug" if debug else "quiet"):
        return
    import onnxruntime as ort

    ort.set_default_logger_severity(2 if debug else 3)
    _state["ort"] = "debug" if debug else "quiet"


class library_output:
    """Inside: warnings ignored and what a library prints to stdout (torch.onnx's '[torch.onnx] ...' stages, the
    ORT optimizers' notes) kept off the user's terminal: logged at DEBUG when the block ends, echoed on stderr
    with --debug. stdout stays clean for --json either way."""

    def __init__(self, name: str = "workbench.library", stderr: bool = False):
        self.name = name
        self.stderr = stderr  # also keep the library's own stderr prints (torch.export's partial FX graph dump)

    def __enter__(self):
        import contextlib
        import io
        import sys
        import warnings

        self._stack = contextlib.ExitStack()
        self._stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        self._buffer = io.StringIO()
        self._stack.enter_context(contextlib.redirect_stdout(sys.stderr if debugging() else self._buffer))
        if self.stderr and not debugging():
            self._stack.enter_context(contextlib.redirect_stderr(self._buffer))
        return self

    def __exit__(self, *exc):
        self._stack.close()
        text = self._buffer.getvalue().strip()
        if text:
            logging.getLogger(self.name).debug("%s", text)
        return False
