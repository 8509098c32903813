"""One error type for everything the user can fix: a one-line message that says what and what to do."""

from __future__ import annotations


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
