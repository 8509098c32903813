"""The manifest of a folder the workbench created (``.workbench-output``): the files it wrote there, with their size
and modification time, so that it may replace those (and only those) itself later."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Optional

MARKER = ".workbench-output"
# Staging folders and files carry their writer's PID: ``.NAME.partial-PID-*``, ``.KIND-work-PID-*``.
STAGING_NAME = re.compile(r"^\.(?:.+\.partial|[a-z]+-work)-(\d+)-[A-Za-z0-9_]+$")
_MANIFEST_LOCK = threading.RLock()


def read_manifest(folder: Path) -> Optional[dict]:
    """The folder's manifest, or None when the folder is not one the workbench created."""
    path = folder / MARKER
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "model-workbench" or \
            not isinstance(data.get("files"), dict):
        return None
    return data


def is_ours(manifest: Optional[dict], name: str, st: os.stat_result) -> bool:
    entry = (manifest or {}).get("files", {}).get(name)
    return isinstance(entry, dict) and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns


def mark(folder: Path, names: Iterable[str], create: bool) -> bool:
    """Record ``names`` as written by the workbench in ``folder``'s manifest (made when ``create``); True when
    this call created the manifest."""
    with _MANIFEST_LOCK:
        manifest = read_manifest(folder)
        made = False
        if manifest is None:
            if not create or os.path.lexists(folder / MARKER):  # a file of the user's with that name: leave it
                return False
            manifest = {"written_by": "model-workbench",
                        "about": "files the workbench wrote here; it may replace these (and only these) itself",
                        "files": {}}
            made = True
        files = manifest["files"]
        for name in names:
            try:
                st = os.lstat(folder / name)
            except OSError:
                continue
            files[name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "pid": os.getpid()}
        for name in [n for n in files if not os.path.lexists(folder / n)]:
            del files[name]
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"{MARKER}.partial-{os.getpid()}-", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(manifest, fh, indent=1)
            os.replace(tmp, folder / MARKER)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
            return False
        return made


def is_empty(folder: Path) -> bool:
    """Empty but for the workbench's own manifest and staging folders."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return all(n == MARKER or STAGING_NAME.match(n) for n in names)
