"""One error type for everything the user can fix: a one-line message that says what and what to do; the first
line of a library's exception, and the line of the model's own code an exception went through (code_site), which
loading (a model's forward on its example inputs) and export (the exporters) both name."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(err: BaseException | str, limit: int | None = 300) -> str:
    """The first non-blank line of an exception's message, or of a message already turned into text (a job's
    failure in the GUI), colour codes removed, at most ``limit`` characters (None: all of it); the exception's
    type name (the text itself) when it has no such line. Libraries raise pages of text: a message shows this."""
    text = _ANSI.sub("", str(err))
    fallback = err if isinstance(err, str) else type(err).__name__
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), fallback)[:limit]


class WorkbenchError(Exception):
    """A failure the user can act on. ``str(err)`` is one line: what went wrong, then what to do."""

    def __init__(self, what: str, hint: str | None = None):
        self.what = " ".join(str(what).split())
        self.hint = " ".join(hint.split()) if hint else None
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.what}; {self.hint}" if self.hint else self.what


class JobCancelled(WorkbenchError):
    """Raised between stages when the user cancelled; outputs of the stage are discarded."""

    def __init__(self, what: str = "cancelled by the user"):
        super().__init__(what)


def _model_code(filename: str) -> bool:
    """Whether a traceback frame is the model's own code: transformers (its modeling files), or the user's files
    outside any installed package; torch, onnx, the workbench and the standard library are not."""
    import sys

    name = filename.replace("\\", "/")
    if "/site-packages/transformers/" in name:
        return True
    libs = [p.replace("\\", "/") for p in {sys.base_prefix, sys.prefix}]
    return not ("/site-packages/" in name or "/dist-packages/" in name or "/workbench/" in name
                or name.startswith("<") or any(name.startswith(p + "/lib") for p in libs))


def code_site(err: BaseException) -> str | None:
    """``file.py:LINE in FUNCTION`` of the innermost frame of the model's code (transformers' modeling files, the
    user's model.py) that the exception went through: torch, ONNX and workbench frames are skipped."""
    import traceback

    frames: list = []
    seen: set = set()
    while err is not None and id(err) not in seen:  # causes first: their frames are the innermost
        seen.add(id(err))
        if err.__traceback__ is not None:
            frames = list(traceback.extract_tb(err.__traceback__)) + frames
        err = err.__cause__ or err.__context__
    mine = [f for f in frames if _model_code(f.filename)]
    if not mine:
        return None
    return f"{mine[-1].filename.replace(chr(92), '/').rsplit('/', 1)[-1]}:{mine[-1].lineno} in {mine[-1].name}"


def model_error(err: BaseException, doing: str) -> WorkbenchError:
    """A failure inside the model's own forward (not the exporter's) as one line: what it was doing, the
    exception, where in the model's code, and what to try."""
    if isinstance(err, WorkbenchError):
        return err
    site = code_site(err)
    where = f" at {site}" if site else ""
    return WorkbenchError(f"{doing} failed: {type(err).__name__}{where}: {first_line(err)[:200]}",
                          "the model needs inputs the workbench does not build for it (see `workbench inspect`); "
                          "wrap it in model.py:ClassName with the inputs it needs and give --shape")
