"""One error type for everything the user can fix: a one-line message that says what and what to do."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(err: BaseException, limit: int = 300) -> str:
    """The first non-blank line of an exception's message (colour codes removed), at most ``limit`` characters;
    the exception's type name when the message is empty. Libraries raise pages of text: a message shows this."""
    text = _ANSI.sub("", str(err))
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), type(err).__name__)[:limit]


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
