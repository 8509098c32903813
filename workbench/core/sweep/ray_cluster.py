"""Sweeps on Ray (the distributed engine: Ray schedules, the workbench writes no scheduler).

``ray:local`` starts a local Ray instance (``num_cpus`` = the build jobs, one ``workbench_timer`` resource);
``ray:auto`` joins the running cluster (``ray start`` / RAY_ADDRESS); ``ray:HOST:PORT`` joins that head.

* Builds are Ray tasks (``num_cpus=1``) chained through their ObjectRefs: a quantize task starts when the export
  it needs has finished; each runs the same child-process build as a local sweep.
* Timed cells are Ray tasks asking ``num_cpus=threads`` (``num_gpus=1`` for CUDA cells) and one
  ``workbench_timer`` resource when the cluster has it: start each node with ``--resources
  '{"workbench_timer": 1}'`` and at most one cell is timed per node at a time, as locally. Without it, cells may
  share a node (the report says so).
* Artifacts move through a shared folder (the sweep's cache, or ``--cache DIR`` on storage every node mounts);
  rows come back through Ray's object store. A failed task is that cell's failed row; the sweep goes on.
"""

from __future__ import annotations

import os
import time

from workbench.core.errors import WorkbenchError

TIMER = "workbench_timer"
INSTALL_HINT = "pip install -c constraints.txt -e '.[ray]' (ray 2.60.0), or run with --cluster local"


def _build_task(build, cache, parent_meta):
    from workbench.core.sweep.local import build_one

    return build_one(build, cache, parent_meta)


def _cell_task(cell, model_path, bench):
    from workbench.core.sweep.cells import time_cell

    row = time_cell(cell, model_path, bench)
    row["node"] = os.uname().nodename
    return row


def parse_cluster(text: str) -> tuple[str, str | None]:
    """'local' -> ('local', None); 'ray:local' -> ('ray', 'local'); 'ray:auto'; 'ray:HOST:PORT'; plain 'ray' is
    Ray's own default: the cluster RAY_ADDRESS names when it is set, else a local one."""
    if text in ("local", ""):
        return "local", None
    kind, _, address = text.partition(":")
    if kind != "ray":
        raise WorkbenchError(f"unknown --cluster {text}", "use local, ray:local, ray:auto or ray:HOST:PORT")
    return "ray", address or ("auto" if os.environ.get("RAY_ADDRESS") else "local")


class RayExecutor:
    name = "ray"

    def __init__(self, address: str = "local", jobs=None, transfer: str = "shared"):
        try:
            import ray
        except ImportError:
            raise WorkbenchError("--cluster ray needs the ray package", INSTALL_HINT) from None
        self.ray, self.address, self.transfer, self.blobs = ray, address, transfer, {}
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
        from workbench.core.sweep.local import default_jobs

        self.jobs = jobs or default_jobs()
        started = time.perf_counter()
        self.owned = not ray.is_initialized()  # a caller's own ray.init() is used as it is, and left running
        try:
            if not self.owned:
                pass
            elif address == "local":
                # address="local": always a new instance, never a cluster `ray start` left running
                ray.init(address="local", num_cpus=self.jobs, resources={TIMER: 1}, include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
        except Exception as err:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError, ValueError ...
            from workbench.core.errors import first_line

            raise WorkbenchError(f"cannot start or join Ray at {address}: {first_line(err)}",
                                 "start a cluster with `ray start --head`, or use --cluster ray:local; a cluster "
                                 "started by `ray start` (Ray 2.60) wants its token: set RAY_AUTH_MODE=token "
                                 "(the token is in ~/.ray/auth_token)") from None
        self.init_s = time.perf_counter() - started
        resources = ray.cluster_resources()
        self.has_timer = resources.get(TIMER, 0) >= 1
        self.resources = {k: v for k, v in resources.items() if k in ("CPU", "GPU", TIMER)}

    def describe(self) -> str:
        timer = "one timed cell per node" if self.has_timer else (
            f"no {TIMER} resource: timed cells may share a node")
        how = "artifacts through the object store" if self.transfer == "object-store" else \
            "artifacts in the shared cache folder"
        return f"ray:{self.address} {self.resources}, started in {self.init_s:.1f} s; {timer}; {how}"

    def build(self, builds: dict, cache, on_built, cancel=None) -> dict:
        ray = self.ray
        if self.transfer == "object-store":
            return self._build_through_store(builds, cache, on_built, cancel)
        task = ray.remote(num_cpus=1, max_retries=0)(_build_task)
        refs: dict = {}
        for key, b in builds.items():
            parent = refs.get(b.parent)
            refs[key] = task.remote(b, cache, parent)  # Ray passes the parent's result once it is done
        return self._gather(refs, lambda key, meta: on_built(builds[key], meta), cancel,
                            lambda key, err: {"key": key, "ok": False, "label": builds[key].label,
                                              "error": f"{builds[key].label}: {err}"})

    def _build_through_store(self, builds: dict, cache, on_built, cancel) -> dict:
        from workbench.core.sweep import ray_transfer
        from workbench.core.sweep.artifacts import read_meta

        ray = self.ray
        task = ray.remote(num_cpus=1, max_retries=0, num_returns=2)(ray_transfer.build_task)
        metas: dict = {}
        for key, b in builds.items():
            known = read_meta(cache, key)
            if known is not None:  # in the driver's cache from an earlier run: its files go to the store
                self.blobs[key] = ray.put(ray_transfer.pack(cache / key))
                metas[key] = ray.put({**known, "ok": True, "reused": True, "label": b.label})
                continue
            metas[key], self.blobs[key] = task.remote(b, metas.get(b.parent), self.blobs.get(b.parent))

        def done(key, meta):
            if meta.get("ok"):  # into the driver's cache too: a restart reuses it, the report reads it
                ray_transfer.unpack(ray.get(self.blobs[key]), cache / key)
            on_built(builds[key], meta)

        return self._gather(metas, done, cancel, lambda key, err: {
            "key": key, "ok": False, "label": builds[key].label, "error": f"{builds[key].label}: {err}"})

    def cannot_place(self, cell):
        """Why no node of a ray:local instance can ever run the cell (a CUDA cell without a GPU, more threads than
        its CPUs), or None. Ray would leave such a task pending (infeasible) and the sweep would never end."""
        if self.address != "local":
            return None  # a joined cluster may grow (its autoscaler starts the nodes a task asks for)
        gpus, cpus = self.resources.get("GPU", 0), self.resources.get("CPU", 0)
        if cell.provider == "cuda" and gpus < 1:
            return (f"the Ray cluster has no GPU ({self.resources}): a CUDA cell needs num_gpus=1; start the "
                    "nodes on GPU machines (ray start --num-gpus N) or drop provider cuda")
        if (cell.threads or 1) > cpus:
            return (f"the cell asks {cell.threads} CPUs and the Ray cluster has {cpus:g}: lower threads or add "
                    "CPUs (ray start --num-cpus N)")
        return None

    def time(self, todo: list, bench: dict, on_row, cancel=None) -> None:
        ray = self.ray
        if self.transfer == "object-store":
            from workbench.core.sweep import ray_transfer

            task = ray.remote(max_retries=0)(ray_transfer.cell_task)
        else:
            task = ray.remote(max_retries=0)(_cell_task)
        refs = {}
        for i, item in enumerate(todo):
            c = item.cell
            missing = self.cannot_place(c)
            if missing:  # Ray would keep such a task pending for ever (infeasible): a failed row instead
                on_row(item, {"ok": False, "error": missing}, "ray")
                continue
            opts = {"num_cpus": c.threads or 1, "num_gpus": 1 if c.provider == "cuda" else 0}
            if c.accelerator:  # a node of that GPU kind (ray start --resources / the autoscaler's node types)
                opts["accelerator_type"] = c.accelerator
            if self.has_timer:
                opts["resources"] = {TIMER: 1}
            if self.transfer == "object-store":
                refs[i] = task.options(**opts).remote(c, item.artifact, bench, self.blobs[item.artifact["key"]])
            else:
                refs[i] = task.options(**opts).remote(c, item.model_path, bench)
        self._gather(refs, lambda i, row: on_row(todo[i], row, f"ray:{row.pop('node', '?')}"), cancel,
                     lambda i, err: {"ok": False, "error": f"the Ray task failed: {err}"})

    def _gather(self, refs: dict, done, cancel, failed) -> dict:
        from workbench.core.errors import first_line

        ray, out = self.ray, {}
        pending = {ref: key for key, ref in refs.items()}
        try:
            while pending:
                if cancel is not None:
                    cancel.check()
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                for ref in ready:
                    key = pending.pop(ref)
                    try:
                        value = ray.get(ref)
                    except Exception as err:  # noqa: BLE001 - a task's failure (RayTaskError, a dead worker)
                        value = failed(key, first_line(err, 300))
                    out[key] = value
                    done(key, value)
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        return out

    def close(self) -> None:
        self.blobs.clear()
        if self.owned:
            self.ray.shutdown()
