"""Model Workbench: take a trained model to deployment (export, validate, optimize, quantize, benchmark)."""

__version__ = "0.1.0"
