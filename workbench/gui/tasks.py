"""The callables that jobs run, kept free of Qt: child processes import this module by reference (``spawn``), so
importing it must not pull PySide6 into them. Each takes ``progress`` and ``cancel`` like the engine's functions."""

from __future__ import annotations


def run_export(spec, progress=None, cancel=None):
    """Export (child process)."""
    from workbench import api

    return api.export(spec, progress=progress, cancel=cancel)


def run_validate(spec, progress=None, cancel=None):
    """Validate (child process: it loads PyTorch and ONNX Runtime, which would stall the GUI thread)."""
    from workbench import api

    return api.validate(spec, progress=progress, cancel=cancel)


def run_optimize(spec, progress=None, cancel=None):
    """Optimize (child process)."""
    from workbench import api

    return api.optimize(spec, progress=progress, cancel=cancel)


def run_quantize(spec, progress=None, cancel=None):
    """One quantization variant (child process)."""
    from workbench import api

    return api.quantize(spec, progress=progress, cancel=cancel)


def run_recipe(recipe: str, output_dir=None, progress=None, cancel=None):
    """A whole recipe (child process)."""
    from workbench import api

    return api.run(recipe, output_dir, progress=progress, cancel=cancel)


def build_demo_model(folder: str, progress=None, cancel=None) -> str:
    """The demo's first job (child process): ``workbench.core.demo.build_demo_model``."""
    from workbench.core.demo import build_demo_model as build

    if progress:
        progress(0.1, "building a tiny language model with random weights")
    path = build(folder)
    if progress:
        progress(1.0, "demo model ready")
    return str(path)


def inspect_with_rows(path: str, progress=None, cancel=None):
    """The load job (a thread): api.inspect plus the tensor table's rows, built off the GUI thread."""
    from workbench import api
    from workbench.gui.rows import tensor_rows

    if progress:
        progress(0.05, "reading headers")
    result = api.inspect(path)
    if cancel is not None:
        cancel.check()
    if progress:
        progress(0.8, "building the tensor table")
    tensors = result.tensors if result.tensors else [*result.inputs, *result.outputs]
    return result, tensor_rows(tensors)
