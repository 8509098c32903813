"""Where an output may go, checked before a job does its work and again before its files are moved into place:
never over a folder, a device, an input of the job or into a system folder; over a file the workbench did not write
only with ``force``. Also the sizes and side files (external data) of ONNX outputs."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable, Optional

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil.manifest import MARKER, is_ours, read_manifest

FORCE_HINT = "pass --force to replace them (overwrite = true in a recipe, force=True in the API), or choose " \
             "another output"
# Writing into these folders themselves is refused; under the first group's folders, anywhere.
SYSTEM_TREES = ("/proc", "/sys", "/dev", "/boot", "/etc")
SYSTEM_DIRS = ("/", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/usr/bin", "/usr/lib",
               "/usr/local", "/usr/local/bin", "/usr/share", "/var", "/var/lib", "/run", "/opt", "/srv", "/mnt",
               "/media", "/home", "/snap")
ALLOWED_TREES = ("/dev/shm",)


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


def as_paths(inputs: Iterable) -> list[Path]:
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


def inside(path: Path, folder: Path) -> bool:
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
            if inside(real_parent, p.resolve()):
                return True
            continue
        if (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino):
            return True
        if p.suffix.lower() == ".onnx" and inside(real_parent, p.resolve().parent):
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


def conflicts(folder: Path, names: Iterable[str], force: bool, inputs: list[Path]) -> list[str]:
    """Raise for targets that are never replaced; return the names that need ``force``."""
    manifest = read_manifest(folder)
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
            example = target / (Path(name).name if Path(name).suffix else "model.onnx")  # not "out/out"
            raise WorkbenchError(f"{target} is a folder: an output never replaces a folder",
                                 f"give a file name inside it, e.g. {example}")
        if not stat.S_ISREG(st.st_mode):
            raise WorkbenchError(f"{target} is not a regular file (a device, FIFO or socket): the workbench "
                                 "never writes over it", "choose a file name in a folder of your own")
        if _is_input(target, st, inputs):
            raise WorkbenchError(f"the output would overwrite the input {target}",
                                 "write it to another file or folder (an output never replaces the job's input, "
                                 "even with --force)")
        if not force and not is_ours(manifest, name, st):
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
    need_force = conflicts(final.parent, names, force, as_paths(inputs)) if final.parent.is_dir() else []
    check_folder(final.parent)
    refuse(final.parent, need_force)
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
    return [str(final.parent / n) for n in conflicts(final.parent, names, False, as_paths(inputs))]


def refuse(folder: Path, need_force: list[str]) -> None:
    if need_force:
        raise WorkbenchError(f"would overwrite {', '.join(need_force)} in {folder}", FORCE_HINT)


def check_outputs(paths: Iterable, *, force: bool = False, inputs: Iterable = (),
                  root: Optional[str | os.PathLike] = None) -> None:
    """``check_output`` for several outputs at once (a recipe's): one error names every file that needs force."""
    inputs = as_paths(inputs)
    root_path = Path(root).resolve() if root is not None else None
    need_force = []
    for raw in paths:
        final = output_path(raw)
        check_folder(final.parent)
        names = [final.name]
        if (final.parent / final.name).exists() and (final.parent / (final.name + ".data")).exists():
            names.append(final.name + ".data")
        for name in conflicts(final.parent, names, force, inputs):
            where = final.parent / name
            shown = where.relative_to(root_path) if root_path and inside(where, root_path) else where
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


def written_by(path: str | os.PathLike, pid: int) -> bool:
    """Did process ``pid`` write ``path`` (unchanged since), according to its folder's manifest?"""
    p = output_path(path)
    manifest = read_manifest(p.parent)
    entry = (manifest or {}).get("files", {}).get(p.name)
    try:
        st = os.lstat(p)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and is_ours(manifest, p.name, st) and entry.get("pid") == pid


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
    from workbench.core.onnx_io import tensors

    p = Path(onnx_path)
    model = read_model(p)
    names: set[str] = set()
    for tensor in tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            for entry in tensor.external_data:
                if entry.key == "location":
                    names.add(entry.value)
    return [p.parent / n for n in sorted(names) if (p.parent / n).exists()]
