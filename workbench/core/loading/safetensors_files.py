"""The ``safetensors_files`` loader: .safetensors files, sharded indexes and folders of them, inspected from their
headers (safetensors_read.py). A file beside a config.json loads as that Hugging Face folder; a bare state dict has
no architecture and is refused with what to give instead."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from workbench.core.loading.safetensors_read import (INDEX_SUFFIX, inspect_file, inspect_index,
                                                     no_architecture_error, weights_in_folder)
from workbench.core.loading.weights_hooks import config_folder, inspect_weights
from workbench.core.results import InspectResult


def can_load(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".safetensors" or path.name.endswith(INDEX_SUFFIX)
    if path.is_dir() and not (path / "config.json").exists():
        return any(path.glob("*.safetensors")) or any(path.glob("*" + INDEX_SUFFIX))
    return False


def inspect(path: Path) -> InspectResult:
    return inspect_weights(path, ".safetensors files", INDEX_SUFFIX, weights_in_folder, inspect_index, inspect_file)


def load(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    from workbench.core.loading.hf_folder import load_hf_model

    folder = config_folder(source.path)
    if folder is not None:
        return load_hf_model(folder, dtype, source.task, source.family_options)
    raise no_architecture_error(source.path)


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="safetensors_files", can_load=can_load, inspect=inspect, load=load))
