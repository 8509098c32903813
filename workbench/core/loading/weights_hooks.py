"""The registry hooks the weight-file loaders share (safetensors_files, torch_files): a folder of weight files, a
sharded checkpoint's index or one file to inspect, and the Hugging Face folder a weight file sits in."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from workbench.core.errors import WorkbenchError


def inspect_weights(path: Path, what: str, index_suffix: str, in_folder: Callable, of_index: Callable,
                    of_file: Callable):
    """``in_folder(folder)`` (None: nothing there, a one-line error naming ``what``), ``of_index(path)`` for a file
    ending in ``index_suffix``, else ``of_file(path)``."""
    path = Path(path)
    if path.is_dir():
        result = in_folder(path)
        if result is None:
            raise WorkbenchError(f"{path}: no {what} in this folder", "give a file or another folder")
        return result
    if path.name.endswith(index_suffix):
        return of_index(path)
    return of_file(path)


def config_folder(path: Path) -> Optional[Path]:
    """The folder holding config.json beside the weights (``path`` itself or its parent), else None."""
    path = Path(path).expanduser()
    folder = path if path.is_dir() else path.parent
    return folder if (folder / "config.json").is_file() else None
