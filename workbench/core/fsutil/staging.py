"""Staged writes: an output is written into a private staging folder beside its destination and moved into place
only when complete; a run's output folder is rolled back on failure; staging folders of dead processes are
removed by the next job writing there."""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Optional

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil.checks import (as_paths, check_folder, check_output, conflicts, inside, output_path,
                                          refuse)
from workbench.core.fsutil.manifest import MARKER, STAGING_NAME, is_empty, mark, read_manifest

_RUN: contextvars.ContextVar = contextvars.ContextVar("workbench_output_run", default=None)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    except OSError:
        return True
    return True


def clean_stale(folder: str | os.PathLike) -> list[str]:
    """Remove staging folders and files (``.NAME.partial-PID-*``, ``.KIND-work-PID-*``) whose process is gone."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = STAGING_NAME.match(entry.name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            pass
    return removed


def _missing_folders(folder: Path) -> list[Path]:
    return [d for d in [folder, *folder.parents] if not os.path.lexists(d)]


def _remove_created(created: list[Path]) -> None:
    for folder in created:  # innermost first
        with contextlib.suppress(OSError):
            if read_manifest(folder) is not None and set(os.listdir(folder)) == {MARKER}:
                os.unlink(folder / MARKER)
        try:
            folder.rmdir()
        except OSError:
            break


def _make_folders(folder: Path) -> list[Path]:
    created = _missing_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        _remove_created(created)
        raise WorkbenchError(f"cannot write to {folder}: {err.strerror or err}",
                             "choose an output folder you can write to") from err
    return created


def _log(*entry) -> None:
    run = _RUN.get()
    if run is not None:
        run.append(entry)


def _private_folder(parent: Path, prefix: str, created: list) -> Path:
    """A new folder ``prefix*`` in ``parent`` (stale ones of dead processes removed first); when it cannot be made,
    the folders made for it (``created``) are removed and the error is one line."""
    try:
        clean_stale(parent)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as err:
        _remove_created(created)
        raise WorkbenchError(f"cannot write to {parent}: {err.strerror or err}",
                             "choose an output folder you can write to") from err


@contextlib.contextmanager
def work_folder(parent: str | os.PathLike, kind: str = "quantize") -> Iterator[Path]:
    """A private scratch folder ``.KIND-work-PID-*`` in ``parent``; removed at the end with the folders made for it
    (those stay only if the job's output is in them)."""
    parent = Path(parent)
    check_folder(parent)
    created = _make_folders(parent)
    work = _private_folder(parent, f".{kind}-work-{os.getpid()}-", created)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _remove_created(created)


@contextlib.contextmanager
def staged_output(final_path: str | os.PathLike, *, force: bool = False, inputs: Iterable = ()) -> Iterator[Path]:
    """Yield a path inside a private staging folder next to ``final_path``.

    Write the output (and any side files such as ``model.onnx.data``) into the staging folder under their final
    names; when the block ends without an error every file is moved into place, after the checks described at
    the top of this module (``force``: replace existing files; ``inputs``: the job's input paths, never
    replaced). On any error, or SIGTERM, the staging folder is removed and the destination is untouched.
    """
    input_paths = as_paths(inputs)
    final = check_output(final_path, force=force, inputs=input_paths)
    parent = final.parent
    existed = parent.exists()
    created = _make_folders(parent)
    adopt = not existed or is_empty(parent)
    stage = _private_folder(parent, f".{final.name}.partial-{os.getpid()}-", created)
    ok = False
    try:
        yield stage / final.name
        written = _publish(stage, parent, force, input_paths)
        ok = True
    except OSError as err:
        raise WorkbenchError(f"cannot write {final}: {err.strerror or err}",
                             "free some disk space or choose another output folder") from err
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not ok:
            _remove_created(created)
    for folder in reversed(created):  # outermost first
        _log("dir", folder)
        if folder != parent:
            mark(folder, [], create=True)
    if mark(parent, [name for name, _ in written], create=adopt) and not created:
        _log("marker", parent)
    for name, was in written:
        _log("file", parent / name, was)


def _publish(stage: Path, parent: Path, force: bool, inputs: list[Path]) -> list[tuple[str, bool]]:
    """Move everything in ``stage`` into ``parent``; all or nothing (replaced files are put back on failure)."""
    items = sorted(stage.iterdir())
    refuse(parent, conflicts(parent, [i.name for i in items], force, inputs))
    backup = Path(tempfile.mkdtemp(prefix=".replaced-", dir=stage))
    done: list[tuple[Path, Optional[Path], bool]] = []  # target, its old file (moved aside), new file in place
    try:
        for item in items:
            target = parent / item.name
            old = None
            if os.path.lexists(target):
                old = backup / item.name
                os.replace(target, old)
            done.append((target, old, False))
            os.replace(item, target)
            done[-1] = (target, old, True)
    except BaseException:
        for target, old, placed in reversed(done):
            with contextlib.suppress(OSError):
                if old is not None:
                    os.replace(old, target)
                elif placed:
                    os.unlink(target)
        raise
    return [(target.name, old is not None) for target, old, _ in done]


@contextlib.contextmanager
def staged_folder(final_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging folder that becomes ``final_dir`` (which must not exist yet) when the block succeeds."""
    final = output_path(final_dir)
    check_folder(final.parent)
    if os.path.lexists(final):
        raise WorkbenchError(f"{final} already exists", "choose a new folder")
    created = _make_folders(final.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-{os.getpid()}-", dir=final.parent))
    ok = False
    try:
        yield stage
        os.rename(stage, final)
        ok = True
    finally:
        if not ok:
            shutil.rmtree(stage, ignore_errors=True)
            _remove_created(created)
    for folder in reversed(created):
        _log("dir", folder)
    _log("tree", final)


@contextlib.contextmanager
def output_folder(folder: str | os.PathLike, *, inputs: Iterable = ()) -> Iterator[Path]:
    """The output folder of a run (a recipe, the demo): checked, made, and on failure (or cancel, or SIGTERM)
    returned to what it was: files the run added and folders it made are removed.

    Refused: a system folder, a path that is a file, the source folder itself or a folder inside it.
    """
    real = check_folder(folder)
    for p in as_paths(inputs):
        if p.is_dir() and inside(real, p.resolve()):
            raise WorkbenchError(f"the output folder {folder} is {'the' if real == p.resolve() else 'inside the'} "
                                 f"source folder {p}", "choose an output folder outside the model's folder, "
                                 "e.g. next to it")
    existed = real.exists()
    created = _make_folders(real)
    log: list = [("dir", d) for d in reversed(created)]
    if mark(real, [], create=not existed or is_empty(real)) and existed:
        log.append(("marker", real))
    for d in created[1:]:
        mark(d, [], create=True)
    clean_stale(real)
    token = _RUN.set(log)
    try:
        yield real
    except BaseException:
        _rollback(log)
        raise
    finally:
        _RUN.reset(token)


def _rollback(log: list) -> None:
    for entry in reversed(log):
        with contextlib.suppress(OSError):
            if entry[0] == "file" and not entry[2] and os.path.lexists(entry[1]):
                os.unlink(entry[1])
            elif entry[0] == "tree":
                shutil.rmtree(entry[1])
            elif entry[0] == "marker":
                os.unlink(entry[1] / MARKER)
            elif entry[0] == "dir":
                if read_manifest(entry[1]) is not None:
                    rest = [n for n in os.listdir(entry[1]) if n != MARKER]
                    if not rest:
                        os.unlink(entry[1] / MARKER)
                entry[1].rmdir()
