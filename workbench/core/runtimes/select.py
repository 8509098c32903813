"""Choosing and opening a runtime for an artifact, and feeding it: shared by validate and bench, so neither names a
runtime library. The artifact's suffix picks the runtime (``registry.runtimes_for``) unless a name is given."""

from __future__ import annotations

from workbench.core.errors import WorkbenchError
from workbench.core.feeds import feed  # noqa: F401 - validate and bench feed sessions through here
from workbench.core.runtimes.base import Runtime, RuntimeOptions

REFERENCE = "torch"  # the runtime every artifact is compared with; never picked for an artifact by its suffix


def choose(path, name: str | None = None, registry=None) -> Runtime:
    """The runtime named, else the first registered one that opens ``path``; an unavailable one is a one-line
    error with its install hint."""
    from workbench.core.registry import default_registry

    reg = registry or default_registry()
    if name:
        runtime = reg.runtime(name)
    else:
        found = [r for r in reg.runtimes_for(path) if r.name != REFERENCE]
        if not found:
            known = ", ".join(f"{r.name} ({' '.join(r.suffixes)})" for r in reg.runtimes.values())
            raise WorkbenchError(f"{path}: no registered runtime opens this kind of file",
                                 f"give an artifact one of these opens, or --runtime NAME: {known}")
        runtime = found[0]
    state = runtime.availability()
    if not state.available:
        raise WorkbenchError(f"runtime '{runtime.name}' cannot run here: its library is missing",
                             state.hint or f"install the library of {runtime.description}")
    return runtime


def open_session(runtime: Runtime, path, options: RuntimeOptions):
    """``runtime.open(path, options)``; a runtime's own exception becomes one line naming the runtime."""
    from workbench.core.errors import first_line

    try:
        return runtime.open(path, options)
    except WorkbenchError:
        raise
    except Exception as err:  # noqa: BLE001 - a plugin's library raises its own types
        raise WorkbenchError(f"runtime '{runtime.name}' cannot open {path}: {first_line(err)}",
                             "check the artifact with `workbench inspect`, or try another --runtime") from err


def open_artifact(path, options: RuntimeOptions, name: str | None = None, registry=None):
    """(runtime, session): the chosen runtime's session on ``path``."""
    runtime = choose(path, name, registry)
    return runtime, open_session(runtime, path, options)
