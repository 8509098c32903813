"""Model Workbench: take a trained model to deployment (export, validate, optimize, quantize, benchmark)."""

__version__ = "0.1.0"

from workbench.core.quiet import keep_local as _keep_local  # noqa: E402

_keep_local()  # ORT_DISABLE_TELEMETRY & co, before anything imports onnxruntime (see core/quiet.py)
