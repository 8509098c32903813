"""Every output the workbench writes goes through this module, so that no user file is ever lost.

``staged_output(final)`` yields a path inside a private staging folder next to ``final``; the job writes its
output (and side files such as ``model.onnx.data``) there under their final names, and only when the block ends
without an error is every file moved into place. Before anything is written, and again before the move, each
target is checked:

* never replaced: a folder, anything that is not a regular file (a device, FIFO or socket), a file of the job's
  own input (the input model, its external data, any file of a source folder), anything in a system folder
  (``/``, ``/etc``, ``/usr``, under ``/proc``, ``/sys`` or ``/dev``);
* replaced only with ``force``: an existing regular file the workbench did not write itself, and a symbolic link
  (the link itself is replaced, never the file it points to). One error names every file that would be replaced;
* replaced freely: a file the workbench wrote earlier and nobody has changed since. A folder that the workbench
  created (or found empty) gets a small manifest, ``.workbench-output``, that lists the files it wrote there with
  their size and modification time; user files in that folder are never in it.

A failed, cancelled or terminated (SIGTERM, see ``terminate_on_sigterm``) job leaves the disk as it found it: the
staging folder goes, files that would have been replaced are put back, and folders the job created are removed.
Staging folders carry the writer's PID in their name (``.model.onnx.partial-<pid>-<random>``); ones left by a
process that is no longer alive (SIGKILL, power loss) are removed by the next job writing into the same folder.
``output_folder(dir)`` does the same for a whole recipe run: on failure everything the run wrote is removed.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator, Optional

from workbench.core.errors import WorkbenchError

MARKER = ".workbench-output"
FORCE_HINT = "pass --force to replace them (overwrite = true in a recipe, force=True in the API), or choose " \
             "another output"
# Writing into these folders themselves is refused; under the first group's folders, anywhere.
SYSTEM_TREES = ("/proc", "/sys", "/dev", "/boot", "/etc")
SYSTEM_DIRS = ("/", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/usr/bin", "/usr/lib",
               "/usr/local", "/usr/local/bin", "/usr/share", "/var", "/var/lib", "/run", "/opt", "/srv", "/mnt",
               "/media", "/home", "/snap")
ALLOWED_TREES = ("/dev/shm",)
_STALE = re.compile(r"^\.(?:.+\.partial|[a-z]+-work)-(\d+)-[A-Za-z0-9_]+$")
_MANIFEST_LOCK = threading.RLock()
_RUN: contextvars.ContextVar = contextvars.ContextVar("workbench_output_run", default=None)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process gets SIGTERM, so every ``finally`` cleanup runs."""


def terminate_on_sigterm() -> None:
    """Turn the first SIGTERM into a :class:`Terminated` exception (later ones are ignored while it unwinds)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated("terminated (SIGTERM)")

    signal.signal(signal.SIGTERM, handler)


# --- where an output may go ----------------------------------------------------------------------------------------

def output_path(path: str | os.PathLike) -> Path:
    """The absolute path of an output with its folder resolved but its last part kept: ``-o link.onnx`` names
    the link, never the file it points to."""
    p = Path(os.path.abspath(Path(path).expanduser()))
    return p.parent.resolve() / p.name if p.name else p


def check_folder(folder: str | os.PathLike, what: str = "output folder") -> Path:
    """Refuse system folders, paths under /proc, /sys, /dev, and a path that is a file."""
    folder = Path(os.path.abspath(Path(folder).expanduser()))
    real = folder.resolve()
    for p in {str(folder), str(real)}:
        allowed = any(p == t or p.startswith(t + "/") for t in ALLOWED_TREES)
        if not allowed and (p in SYSTEM_DIRS or any(p == t or p.startswith(t + "/") for t in SYSTEM_TREES)):
            raise WorkbenchError(f"{folder} is a system folder: the workbench does not write there",
                                 "choose an output folder of your own, e.g. ./out")
    if real.exists() and not real.is_dir():
        raise WorkbenchError(f"cannot write into {folder}: the {what} is a file", "give a folder (a new or empty one)")
    return real


def _as_paths(inputs: Iterable) -> list[Path]:
    paths = []
    for raw in inputs or ():
        if raw is None:
            continue
        raw = str(getattr(raw, "path", raw))
        if ".py:" in raw:  # model.py:ClassName
            raw = raw.rpartition(":")[0]
        paths.append(Path(os.path.abspath(Path(raw).expanduser())))
    return paths


def source_inputs(source) -> list:
    """The paths a ModelSource reads (its path and weights), for ``inputs=``."""
    if source is None:
        return []
    return [getattr(source, "path", source), getattr(source, "weights", None)]


def output_rules(spec) -> dict:
    """``staged_output``'s keyword arguments for a job's spec: its ``force`` flag and every path it reads."""
    if spec is None:
        return {}
    inputs = []
    for attr in ("source", "against", "compare_torch"):
        inputs += source_inputs(getattr(spec, attr, None))
    inputs += [getattr(spec, attr, None) for attr in ("model", "calibration", "tokenizer")]
    return {"force": bool(getattr(spec, "force", False)), "inputs": [i for i in inputs if i]}


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _is_input(target: Path, st: os.stat_result, inputs: list[Path]) -> bool:
    """Is ``target`` (an existing regular file) one of the job's inputs or a file they bring along?"""
    real_parent = target.parent.resolve()
    for p in inputs:
        try:
            pst = os.stat(p)
        except OSError:
            continue
        if stat.S_ISDIR(pst.st_mode):
            if _inside(real_parent, p.resolve()):
                return True
            continue
        if (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino):
            return True
        if p.suffix.lower() == ".onnx" and _inside(real_parent, p.resolve().parent):
            try:
                sides = external_data_files(p)
            except Exception:  # noqa: BLE001 - an unreadable input: then its folder is off limits
                return True
            for side in sides:
                try:
                    sst = os.stat(side)
                except OSError:
                    continue
                if (sst.st_dev, sst.st_ino) == (st.st_dev, st.st_ino):
                    return True
    return False


def _conflicts(folder: Path, names: Iterable[str], force: bool, inputs: list[Path]) -> list[str]:
    """Raise for targets that are never replaced; return the names that need ``force``."""
    manifest = _read_manifest(folder)
    need_force = []
    for name in names:
        target = folder / name
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            continue
        except OSError as err:
            raise WorkbenchError(f"cannot check {target}: {err.strerror or err}", "choose another output") from err
        if stat.S_ISLNK(st.st_mode):
            if not force:
                need_force.append(f"{name} (a symbolic link; --force replaces the link, not its target)")
            continue
        if stat.S_ISDIR(st.st_mode):
            raise WorkbenchError(f"{target} is a folder: an output never replaces a folder",
                                 f"give a file name inside it, e.g. {target / Path(name).name}")
        if not stat.S_ISREG(st.st_mode):
            raise WorkbenchError(f"{target} is not a regular file (a device, FIFO or socket): the workbench "
                                 "never writes over it", "choose a file name in a folder of your own")
        if _is_input(target, st, inputs):
            raise WorkbenchError(f"the output would overwrite the input {target}",
                                 "write it to another file or folder (an output never replaces the job's input, "
                                 "even with --force)")
        if not force and not _ours(manifest, name, st):
            need_force.append(name)
    return need_force


def check_output(final_path: str | os.PathLike, *, force: bool = False, inputs: Iterable = (),
                 names: Iterable[str] = ()) -> Path:
    """Check, before a job does its work, that it may write ``final_path`` (and ``names`` beside it).

    Returns the output's absolute path. Raises WorkbenchError naming every file that would be replaced without
    ``force``, and for targets that are never replaced.
    """
    final = output_path(final_path)
    if not final.name or final.name in (".", "..") or final.name == MARKER:
        raise WorkbenchError(f"{final_path} is not a file name for an output", "give a file name, e.g. out/model.onnx")
    names = [final.name, *names]
    if (final.parent / (final.name + ".data")).exists() and final.name + ".data" not in names:
        if (final.parent / final.name).exists():
            names.append(final.name + ".data")  # the weights that belong to the file being replaced
    need_force = _conflicts(final.parent, names, force, _as_paths(inputs)) if final.parent.is_dir() else []
    check_folder(final.parent)
    _refuse(final.parent, need_force)
    return final


def would_replace(final_path: str | os.PathLike, *, inputs: Iterable = ()) -> list[str]:
    """The existing files that writing ``final_path`` would replace and that need ``force`` (the GUI asks about
    these); raises WorkbenchError for targets that are never replaced."""
    final = output_path(final_path)
    if not final.parent.is_dir():
        return []
    names = [final.name]
    if (final.parent / final.name).exists() and (final.parent / (final.name + ".data")).exists():
        names.append(final.name + ".data")
    return [str(final.parent / n) for n in _conflicts(final.parent, names, False, _as_paths(inputs))]


def _refuse(folder: Path, need_force: list[str]) -> None:
    if need_force:
        raise WorkbenchError(f"would overwrite {', '.join(need_force)} in {folder}", FORCE_HINT)


def check_outputs(paths: Iterable, *, force: bool = False, inputs: Iterable = (),
                  root: Optional[str | os.PathLike] = None) -> None:
    """``check_output`` for several outputs at once (a recipe's): one error names every file that needs force."""
    inputs = _as_paths(inputs)
    root_path = Path(root).resolve() if root is not None else None
    need_force = []
    for raw in paths:
        final = output_path(raw)
        check_folder(final.parent)
        names = [final.name]
        if (final.parent / final.name).exists() and (final.parent / (final.name + ".data")).exists():
            names.append(final.name + ".data")
        for name in _conflicts(final.parent, names, force, inputs):
            where = final.parent / name
            shown = where.relative_to(root_path) if root_path and _inside(where, root_path) else where
            need_force.append(str(shown))
    if need_force:
        raise WorkbenchError(f"would overwrite {', '.join(need_force)}" + (f" in {root_path}" if root_path else ""),
                             FORCE_HINT)


def check_name(name: str, what: str) -> str:
    """A name that becomes part of a file name: no folders, no '..', nothing hidden."""
    if (not isinstance(name, str) or not name.strip() or name in (".", "..") or name.startswith(".")
            or any(c in name for c in "/\\\0:") or os.path.isabs(name)):
        raise WorkbenchError(f"{what} '{name}' cannot be used in a file name",
                             "use letters, digits, '-', '_' or '.', with no '/', '\\' or '..'")
    return name


# --- the manifest of a folder the workbench created ----------------------------------------------------------------

def _read_manifest(folder: Path) -> Optional[dict]:
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


def _ours(manifest: Optional[dict], name: str, st: os.stat_result) -> bool:
    entry = (manifest or {}).get("files", {}).get(name)
    return isinstance(entry, dict) and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns


def _mark(folder: Path, names: Iterable[str], create: bool) -> bool:
    """Record ``names`` as written by the workbench in ``folder``'s manifest (made when ``create``); True when
    this call created the manifest."""
    with _MANIFEST_LOCK:
        manifest = _read_manifest(folder)
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


def written_by(path: str | os.PathLike, pid: int) -> bool:
    """Did process ``pid`` write ``path`` (unchanged since), according to its folder's manifest?"""
    p = output_path(path)
    manifest = _read_manifest(p.parent)
    entry = (manifest or {}).get("files", {}).get(p.name)
    try:
        st = os.lstat(p)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and _ours(manifest, p.name, st) and entry.get("pid") == pid


def _is_empty(folder: Path) -> bool:
    """Empty but for the workbench's own manifest and staging folders."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return all(n == MARKER or _STALE.match(n) for n in names)


# --- staging folders, and the ones a dead process left -------------------------------------------------------------

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
        match = _STALE.match(entry.name)
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
            if _read_manifest(folder) is not None and set(os.listdir(folder)) == {MARKER}:
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


@contextlib.contextmanager
def work_folder(parent: str | os.PathLike, kind: str = "quantize") -> Iterator[Path]:
    """A private scratch folder ``.KIND-work-PID-*`` in ``parent``; removed at the end with the folders made for it
    (those stay only if the job's output is in them)."""
    parent = Path(parent)
    check_folder(parent)
    created = _make_folders(parent)
    try:
        clean_stale(parent)
        work = Path(tempfile.mkdtemp(prefix=f".{kind}-work-{os.getpid()}-", dir=parent))
    except OSError as err:
        _remove_created(created)
        raise WorkbenchError(f"cannot write to {parent}: {err.strerror or err}",
                             "choose an output folder you can write to") from err
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
    input_paths = _as_paths(inputs)
    final = check_output(final_path, force=force, inputs=input_paths)
    parent = final.parent
    existed = parent.exists()
    created = _make_folders(parent)
    adopt = not existed or _is_empty(parent)
    try:
        clean_stale(parent)
        stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-{os.getpid()}-", dir=parent))
    except OSError as err:
        _remove_created(created)
        raise WorkbenchError(f"cannot write to {parent}: {err.strerror or err}",
                             "choose an output folder you can write to") from err
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
            _mark(folder, [], create=True)
    if _mark(parent, [name for name, _ in written], create=adopt) and not created:
        _log("marker", parent)
    for name, was in written:
        _log("file", parent / name, was)


def _publish(stage: Path, parent: Path, force: bool, inputs: list[Path]) -> list[tuple[str, bool]]:
    """Move everything in ``stage`` into ``parent``; all or nothing (replaced files are put back on failure)."""
    items = sorted(stage.iterdir())
    _refuse(parent, _conflicts(parent, [i.name for i in items], force, inputs))
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
    for p in _as_paths(inputs):
        if p.is_dir() and _inside(real, p.resolve()):
            raise WorkbenchError(f"the output folder {folder} is {'the' if real == p.resolve() else 'inside the'} "
                                 f"source folder {p}", "choose an output folder outside the model's folder, "
                                 "e.g. next to it")
    existed = real.exists()
    created = _make_folders(real)
    log: list = [("dir", d) for d in reversed(created)]
    if _mark(real, [], create=not existed or _is_empty(real)) and existed:
        log.append(("marker", real))
    for d in created[1:]:
        _mark(d, [], create=True)
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
                if _read_manifest(entry[1]) is not None:
                    rest = [n for n in os.listdir(entry[1]) if n != MARKER]
                    if not rest:
                        os.unlink(entry[1] / MARKER)
                entry[1].rmdir()


def file_size(path: str | os.PathLike) -> int:
    """Bytes of an ONNX file plus its external data files (anything in the folder it references)."""
    p = Path(path)
    total = p.stat().st_size
    for side in external_data_files(p):
        total += side.stat().st_size
    return total


def external_data_files(onnx_path: str | os.PathLike) -> list[Path]:
    """The external data files an ONNX file references, read without loading the tensors."""
    import onnx

    from workbench.core.loading.onnx_files import read_model

    p = Path(onnx_path)
    model = read_model(p)
    names: set[str] = set()
    for tensor in _all_tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            for entry in tensor.external_data:
                if entry.key == "location":
                    names.add(entry.value)
    return [p.parent / n for n in sorted(names) if (p.parent / n).exists()]


def _all_tensors(graph):
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            if attr.HasField("g"):
                yield from _all_tensors(attr.g)
            for g in attr.graphs:
                yield from _all_tensors(g)
