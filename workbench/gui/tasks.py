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


def run_recipe(recipe: str, output_dir=None, progress=None, cancel=None, overwrite: bool = False,
               trust_code: bool = False):
    """A whole recipe (child process); ``trust_code``: the user allowed its program source to run (gui/trust.py)."""
    from workbench import api

    return api.run(recipe, output_dir, progress=progress, cancel=cancel, overwrite=overwrite, trust_code=trust_code)


def build_demo_model(folder: str, progress=None, cancel=None) -> str:
    """The demo's first job (child process): ``workbench.core.demo.build_demo_model``."""
    from workbench.core.demo import build_demo_model as build
    from workbench.core.fsutil import staged_folder

    if progress:
        progress(0.1, "building a tiny language model with random weights")
    with staged_folder(folder) as stage:  # a new folder, complete or not at all (an existing one is refused)
        build(stage)
    if progress:
        progress(1.0, "demo model ready")
    return str(folder)


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


def chat_stream(columns, prompt, max_new_tokens: int = 48, temperature: float = 0.0, seed: int = 0,
                progress=None, cancel=None, tokenizer=None, kv_cache=None):
    """The Chat panel's job (a thread): stream one answer per column, one column after the other, so each
    column's tokens/s is measured without the others competing for the CPU.

    ``columns`` is ``[(key, model path)]``; a generator (the worker relays its items in batches) of
    ``("start", key)``, ``("step", key, TokenStep)``, ``("end", key)`` and ``("error", key, one-line message)``.
    Models load in the worker thread, at a column's first step; a column that fails does not stop the others.
    ``tokenizer`` (the PyTorch source folder) encodes the prompt for runtime artifacts without one beside them
    (a .gguf), so every column starts from the same token ids. ``kv_cache`` (llama.cpp's KV cache type; None: its
    default, f16) goes to the .gguf columns only.
    """
    from workbench import api
    from workbench.gui.workers import error_line

    for number, (key, model) in enumerate(columns):
        if cancel is not None and cancel.cancelled:
            return
        if progress:
            progress(number / max(1, len(columns)), f"{key}: loading and generating")
        yield ("start", key)
        try:
            options = {"kv_cache": kv_cache} if kv_cache and str(model).lower().endswith(".gguf") else {}
            for step in api.generate_stream(str(model), prompt, int(max_new_tokens), temperature=float(temperature),
                                            seed=int(seed), cancel=cancel, tokenizer=tokenizer, **options):
                yield ("step", key, step)
        except Exception as err:  # noqa: BLE001 - the column shows the engine's one line; the others go on
            yield ("error", key, error_line(err))
            continue
        if cancel is not None and cancel.cancelled:
            return
        yield ("end", key)
    if progress:
        progress(1.0, "done")
