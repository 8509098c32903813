"""Write-then-rename: a failed or cancelled job leaves no half-written file behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from workbench.core.errors import WorkbenchError


@contextlib.contextmanager
def staged_output(final_path: str | os.PathLike) -> Iterator[Path]:
    """Yield a path inside a private staging folder next to ``final_path``.

    Write the output (and any side files such as ``model.onnx.data``) into the staging folder under their final
    names; when the block ends without an error every file is moved into place. On any error the staging folder
    is removed and the destination is untouched.
    """
    final = Path(final_path).expanduser().resolve()
    parent = final.parent
    created = [d for d in [parent, *parent.parents] if not d.exists()]  # removed again if the job fails
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=parent))
    except OSError as err:
        raise WorkbenchError(f"cannot write to {parent}: {err.strerror or err}",
                             "choose an output folder you can write to") from err
    ok = False
    try:
        yield stage / final.name
        for item in sorted(stage.iterdir()):
            target = parent / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
        ok = True
    except OSError as err:
        raise WorkbenchError(f"cannot write {final}: {err.strerror or err}",
                             "free some disk space or choose another output folder") from err
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not ok:
            for folder in created:  # innermost first
                try:
                    folder.rmdir()
                except OSError:
                    break


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
