"""One registry for loaders, export targets and runtimes. Built-ins register exactly as plugins do: a module-level
``register(registry)`` function, found through the ``workbench.plugins`` entry-point group or as a ``.py`` file in
a plugins folder (the repository's ``plugins/`` and every folder on ``WORKBENCH_PLUGIN_PATH``). A plugin that fails
to import or register is recorded in ``registry.broken`` and skipped; it never stops the workbench.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from workbench.core.errors import WorkbenchError
from workbench.core.target_options import TargetForm

ENTRY_POINT_GROUP = "workbench.plugins"
BUILTIN_MODULES = (
    "workbench.core.loading.safetensors_files",
    "workbench.core.loading.hf_folder",
    "workbench.core.loading.torch_files",
    "workbench.core.loading.onnx_files",
    "workbench.core.loading.gguf_files",
    "workbench.core.loading.paddle_files",
    "workbench.core.loading.mnn_files",
    "workbench.core.loading.openvino_files",
    "workbench.core.targets.onnx",
    "workbench.core.targets.torchscript",
    "workbench.core.targets.gguf",
    "workbench.core.targets.openvino",
    "workbench.core.targets.mnn",
    "workbench.core.runtimes.onnxruntime",
    "workbench.core.runtimes.torch_eager",
    "workbench.core.runtimes.openvino",
    "workbench.core.runtimes.mnn",
    "workbench.core.runtimes.llama_cpp",
    "workbench.core.runtimes.paddle",
    "workbench.core.runtimes.encrypted",
    "workbench.core.runtimes.tensorrt",
)
REPO_PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


@dataclass
class Loader:
    """Reads one kind of file. ``inspect`` reads headers only; ``load`` builds a torch model (or None)."""

    name: str
    can_load: Callable[[Path], bool]
    inspect: Callable[[Path], object]
    load: Optional[Callable] = None  # (ModelSource) -> LoadedModel
    origin: str = "builtin"


@dataclass
class Target:
    """An export target: ``export(spec, progress, cancel) -> ExportResult``; ``validate(model, source, spec)``."""

    name: str
    description: str
    export: Callable
    validate: Optional[Callable] = None
    suffix: str = ""
    origin: str = "builtin"
    form: TargetForm = field(default_factory=TargetForm)  # its options as data (the GUI builds controls from it)


@dataclass
class Registry:
    loaders: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    runtimes: dict = field(default_factory=dict)  # name -> workbench.core.runtimes.base.Runtime
    broken: list = field(default_factory=list)  # [(origin, one-line reason)]
    _origin: str = "builtin"

    def add_loader(self, loader: Loader) -> None:
        loader.origin = self._origin
        self.loaders[loader.name] = loader

    def add_target(self, target: Target) -> None:
        target.origin = self._origin
        self.targets[target.name] = target

    def add_runtime(self, runtime) -> None:
        runtime.origin = self._origin
        self.runtimes[runtime.name] = runtime

    def runtime(self, name: str):
        if name not in self.runtimes:
            known = ", ".join(sorted(self.runtimes))
            raise WorkbenchError(f"unknown runtime '{name}'", f"use one of: {known} (workbench runtimes lists them)")
        return self.runtimes[name]

    def runtimes_for(self, path) -> list:
        """The runtimes that open this artifact, in registration order."""
        return [r for r in self.runtimes.values() if r.opens(path)]

    def loader_for(self, path: Path) -> Loader:
        for loader in self.loaders.values():
            try:
                if loader.can_load(path):
                    return loader
            except OSError:
                continue
        raise WorkbenchError(
            f"{path}: not a format the workbench reads",
            "give a .safetensors, .pt/.pth/.bin, .pt2, .onnx file or a Hugging Face model folder",
        )

    def target(self, name: str) -> Target:
        if name not in self.targets:
            known = ", ".join(sorted(self.targets))
            raise WorkbenchError(f"unknown target '{name}'", f"use one of: {known}")
        return self.targets[name]

    def register_from(self, origin: str, register: Callable[["Registry"], None]) -> None:
        """Run one plugin's ``register``; a failure is recorded, and whatever it half-added is rolled back."""
        loaders, targets, runtimes = dict(self.loaders), dict(self.targets), dict(self.runtimes)
        self._origin = origin
        try:
            register(self)
        except Exception as err:  # noqa: BLE001 - a broken plugin must never stop the workbench
            self.loaders, self.targets, self.runtimes = loaders, targets, runtimes
            self.broken.append((origin, f"{type(err).__name__}: {err}"))
        finally:
            self._origin = "builtin"


def _load_module_file(path: Path):
    name = f"workbench_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def plugin_folders() -> list[Path]:
    folders = [REPO_PLUGINS]
    for entry in os.environ.get("WORKBENCH_PLUGIN_PATH", "").split(os.pathsep):
        if entry:
            folders.append(Path(entry))
    return [f for f in folders if f.is_dir()]


def build_registry(include_plugins: bool = True) -> Registry:
    reg = Registry()
    for module_name in BUILTIN_MODULES:
        try:
            module = importlib.import_module(module_name)
        except Exception as err:  # noqa: BLE001 - a broken built-in is reported like a broken plugin
            reg.broken.append((module_name, f"{type(err).__name__}: {err}"))
            continue
        reg.register_from("builtin", module.register)
    if not include_plugins:
        return reg
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            register = ep.load()
        except Exception as err:  # noqa: BLE001
            reg.broken.append((f"entry point {ep.name}", f"{type(err).__name__}: {err}"))
            continue
        reg.register_from(f"entry point {ep.name}", register)
    for folder in plugin_folders():
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                module = _load_module_file(path)
                register = getattr(module, "register")
            except Exception as err:  # noqa: BLE001
                reg.broken.append((str(path), f"{type(err).__name__}: {err}"))
                continue
            reg.register_from(str(path), register)
    return reg


_lock = threading.Lock()
_default: Optional[Registry] = None


def default_registry() -> Registry:
    global _default
    with _lock:
        if _default is None:
            _default = build_registry()
        return _default
