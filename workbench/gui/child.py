"""Former child side of the GUI's process jobs: the runner is now ``workbench.core.jobs.child`` (Qt-free, shared
with the isolated and generation benchmarks). These names stay importable from here."""

from workbench.core.jobs.child import PROGRESS_INTERVAL_S, Throttle, child_main, drain, error_line, is_stream

__all__ = ["PROGRESS_INTERVAL_S", "Throttle", "child_main", "drain", "error_line", "is_stream"]
