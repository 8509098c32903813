"""Turn an exporter's exception (pages of text) into one line: which step, which operator or which line of the
model's code failed (errors.code_site), and what to try."""

from __future__ import annotations

import re

from workbench.core.errors import WorkbenchError, code_site, first_line

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_FUNCTION = re.compile(r"No ONNX function found for <OpOverload\(op='([\w.]+)'")
_TARGET = re.compile(r"target=torch\.ops\.([\w]+\.[\w]+)")
_LEGACY_OP = re.compile(r"(?:operator '|namespace |operator )([A-Za-z_]\w*::[A-Za-z_]\w*)")
_CALL_SITE = re.compile(r'The following call raised this error:\s*\n\s*File "([^"]+)", line (\d+), in \w+\s*\n\s*(.+)')
_SUMMARY = re.compile(r"<class '[\w.]+\.(\w+)'>: ([^\n]+)")
_STEP = re.compile(r"step (\d)/3")


def _text(err: BaseException) -> str:
    parts, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        parts.append(str(err))
        err = err.__cause__ or err.__context__
    return _ANSI.sub("", "\n".join(parts))


def failing_operator(err: BaseException) -> str | None:
    text = _text(err)
    for pattern in (_NO_FUNCTION, _LEGACY_OP, _TARGET):
        match = pattern.search(text)
        if match:
            return match.group(1).replace(".", "::", 1) if pattern is not _LEGACY_OP else match.group(1)
    return None


def explain(err: BaseException, exporter: str) -> tuple[str, str]:
    """(what failed, what to try) for an exception raised by torch.onnx.export."""
    if isinstance(err, WorkbenchError):
        return err.what, err.hint or ""
    text = _text(err)
    op = failing_operator(err)
    step = _STEP.search(text)
    site = _CALL_SITE.search(text)
    summary = _SUMMARY.search(text)
    where = f" at {site.group(1).rsplit('/', 1)[-1]}:{site.group(2)} `{site.group(3).strip()}`" if site else ""
    if not where and code_site(err):
        where = f" at {code_site(err)}"
    if op:
        return (f"{exporter} exporter: no ONNX translation for operator {op}{where}",
                "try another --opset (e.g. 18 or 20), the other --exporter, or replace that operation in the model")
    if step and step.group(1) == "1":
        reason = summary.group(2).strip() if summary else first_line(err)
        if "data-dependent" in reason:
            reason = "data-dependent control flow (" + reason.split("(")[0].strip() + ")"
        return (f"{exporter} exporter: torch.export could not trace the model: {reason[:200]}{where}",
                "make that code shape-only (torch.where / torch.cond instead of Python if on tensor values), "
                "or use --exporter legacy")
    reason = summary.group(2).strip() if summary else first_line(err)
    return (f"{exporter} exporter failed: {reason[:250]}{where}",
            "try the other --exporter, another --opset, or --dtype fp32")


def export_error(err: BaseException, exporter: str, earlier: str | None = None) -> WorkbenchError:
    if isinstance(err, WorkbenchError):
        return err
    what, hint = explain(err, exporter)
    if earlier:
        what += f" [earlier: {earlier}]"
    return WorkbenchError(what, hint)
