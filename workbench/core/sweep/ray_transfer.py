"""Artifacts through Ray's object store, for clusters whose nodes share no folder (``--artifacts object-store``).

A build task returns its artifact folder's files as bytes beside its artifact.json; the driver unpacks each into
its own cache (so a restart reuses them, as with a shared folder) and hands the bytes' ObjectRef to every task
that needs the artifact: a build that starts from it, and each timed cell, which unpacks it into a node-local cache
(``$TMPDIR/workbench-sweep-artifacts/<key>``) once per node. Meant for small and medium models: every artifact
passes through the driver and the object store (memory first); at scale, a shared folder (docs/scaling.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def node_cache() -> Path:
    """Where a node keeps the artifacts it received (WORKBENCH_SWEEP_NODE_CACHE, else under the temp folder)."""
    return Path(os.environ.get("WORKBENCH_SWEEP_NODE_CACHE") or
                Path(tempfile.gettempdir()) / "workbench-sweep-artifacts")


def pack(folder: Path) -> dict:
    """{relative path: bytes} of every file of an artifact folder."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def unpack(blob: dict, folder: Path) -> Path:
    """Write ``blob`` as ``folder`` (staged: the folder appears complete, or not at all); kept when it exists."""
    from workbench.core.fsutil import staged_folder
    from workbench.core.sweep.artifacts import META

    if (folder / META).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        with staged_folder(folder) as stage:
            for name, data in blob.items():
                target = stage / name
                if ".." in Path(name).parts or Path(name).is_absolute():
                    raise ValueError(f"bad artifact member {name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    except OSError:
        if not (folder / META).is_file():  # another task on this node unpacked it first: use theirs
            raise
    return folder


def build_task(build, parent_meta, parent_blob):
    """A build on any node: the parent artifact from the object store, the result back with its files."""
    from workbench.core.sweep.local import build_one

    cache = node_cache()
    if parent_blob is not None:
        unpack(parent_blob, cache / build.parent)
    meta = build_one(build, cache, parent_meta)
    blob = pack(cache / build.key) if meta.get("ok") else None
    return meta, blob


def cell_task(cell, artifact: dict, bench: dict, blob):
    from workbench.core.sweep.cells import time_cell

    folder = unpack(blob, node_cache() / artifact["key"])
    row = time_cell(cell, str(folder / artifact["model_file"]), bench)
    row["node"] = os.uname().nodename
    return row
