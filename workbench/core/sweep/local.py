"""Local sweeps: every build and every timed cell in a spawned child process of its own.

Builds run ``jobs`` at a time (each waits for the artifact it starts from); timed cells run one at a time, after
the builds, so no cell is timed while another process competes for the CPU (fair timing on one machine).
The pool only waits on child processes: the work is theirs (workbench.core.jobs.child).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, TimeoutError

from workbench.core.errors import JobCancelled, WorkbenchError


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def build_one(build, cache, parent_meta, cancel=None) -> dict:
    """One build in a child; {"ok": False, "error"} when it (or what it starts from) failed."""
    from workbench.core.jobs.child import run
    from workbench.core.sweep.artifacts import build_artifact, read_meta

    if build.parent is not None and not (parent_meta or {}).get("ok", True):
        return {"key": build.key, "ok": False, "error": f"needs {parent_meta.get('label')}, which failed: "
                f"{parent_meta.get('error')}"}
    meta = read_meta(cache, build.key)
    if meta is not None:
        return {**meta, "ok": True, "reused": True, "label": build.label}
    payload = {**build.payload, "cache": str(cache), "key": build.key, "parent": build.parent}
    try:
        meta = run(build_artifact, payload, cancel=cancel, name=f"workbench-sweep-build-{build.key}")
    except JobCancelled:
        raise
    except WorkbenchError as err:  # ChildFailed too: the child's one line, or the crash's reason
        return {"key": build.key, "ok": False, "error": f"{build.label}: {err.one_line()}", "label": build.label}
    return {**meta, "ok": True, "label": build.label}


class LocalExecutor:
    name = "local"

    def __init__(self, jobs=None):
        self.jobs = jobs or default_jobs()

    def describe(self) -> str:
        return f"local, {self.jobs} build processes, timed cells one at a time"

    def build(self, builds: dict, cache, on_built, cancel=None) -> dict:
        from workbench.core.jobs import CancelToken

        token = CancelToken()  # set on Ctrl-C / SIGTERM / the caller's cancel: every build child is ended
        futures: dict = {}
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="sweep-build") as pool:
            try:
                # Parents are submitted first: a task waiting for its parent waits for one started before it.
                for key, b in builds.items():
                    parent = futures.get(b.parent)
                    futures[key] = pool.submit(self._task, b, cache, parent, on_built, token)
                out = {}
                for key, f in futures.items():
                    while True:
                        if cancel is not None and cancel.cancelled:
                            raise JobCancelled()
                        try:
                            out[key] = f.result(timeout=0.2)
                            break
                        except TimeoutError:
                            continue
                return out
            except BaseException:
                token.cancel()
                for f in futures.values():
                    f.cancel()
                raise

    @staticmethod
    def _task(build, cache, parent, on_built, cancel):
        if cancel.cancelled:
            raise JobCancelled()
        meta = build_one(build, cache, parent.result() if parent is not None else None, cancel)
        on_built(build, meta)
        return meta

    def time(self, todo: list, bench: dict, on_row, cancel=None) -> None:
        from workbench.core.sweep.cells import time_cell

        for item in todo:
            if cancel is not None:
                cancel.check()
            if item.cell.accelerator:
                on_row(item, {"ok": False, "error": f"accelerator {item.cell.accelerator} picks a GPU kind of a Ray "
                              "cluster; run with --cluster ray:auto, or leave [axes] accelerator out"}, "local")
                continue
            on_row(item, time_cell(item.cell, item.model_path, bench, cancel=cancel), "local")

    def close(self) -> None:
        pass
