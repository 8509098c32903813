"""A sweep's export artifact is named by its target's own suffix (the registry's), so a new destination's files
are model.<its suffix> without a table in the sweep to extend."""

from types import SimpleNamespace

from workbench.core.registry import Target, build_registry
from workbench.core.sweep import artifacts


def test_an_export_artifact_takes_its_targets_suffix(tmp_path, tiny_models, monkeypatch):
    written = []

    def export(spec, progress=None, cancel=None):
        written.append(spec.output)
        open(spec.output, "wb").write(b"fake")
        return SimpleNamespace(path=spec.output, target="fake", seconds=0.0)

    reg = build_registry(include_plugins=False)
    reg.add_target(Target("fake", "a destination added by a plugin", export=export, suffix=".fakebin"))
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    payload = {"kind": "export", "export": {"target": "fake"}, "source": {"path": str(tiny_models("bert"))}}
    name, summary = artifacts._build(payload, tmp_path, None, None)
    assert name == "model.fakebin" and written == [str(tmp_path / "model.fakebin")]
    assert summary == {"target": "fake", "seconds": 0.0}
