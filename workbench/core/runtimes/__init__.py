"""Runtimes: what runs an artifact. A target turns a model into an artifact (.onnx, .gguf, IR, .mnn); a runtime
opens one and runs it. Each runtime module has a ``register(registry)`` like loaders and targets, and adds one
:class:`workbench.core.runtimes.base.Runtime`. validate, bench, the GUI's benchmark panel and Chat go through
runtimes only, so a new destination is one target module + one runtime module + their tests."""
