"""Jobs: progress and cancellation (``progress``) and the one child-process runner (``child``).

``CancelToken``, ``Stages``, ``ProgressFn`` and ``no_progress`` stay importable from ``workbench.core.jobs``; the
runner is imported from ``workbench.core.jobs.child`` where it is used (it pulls in multiprocessing).
"""

from workbench.core.jobs.progress import CancelToken, ProgressFn, Stages, no_progress

__all__ = ["CancelToken", "ProgressFn", "Stages", "no_progress"]
