"""Fixtures for the engine's own tests (no Qt)."""

import importlib

import pytest


@pytest.fixture
def loaders_only(monkeypatch):
    """The four file loaders alone, so loader tests do not depend on export targets or plugins."""
    from workbench.core import registry as reg

    r = reg.Registry()
    for name in ("safetensors_files", "hf_folder", "torch_files", "onnx_files"):
        r.register_from("builtin", importlib.import_module(f"workbench.core.loading.{name}").register)
    assert not r.broken, r.broken
    monkeypatch.setattr(reg, "_default", r)
    return r
