"""The legacy exporter's trace fixes a branch taken on a tensor's value: the export says so in a note (the file
computes the example's branch at every shape), and a failed dynamo trace prints no FX graph on stderr."""

import warnings

import torch

from workbench.core.export import exporters
from workbench.core.specs import ExportSpec, ModelSource


class _Branchy(torch.nn.Module):
    def forward(self, x):
        if x.shape[1] > 4 and bool(x.sum() > 0):  # data-dependent: the trace keeps one side
            return x * 2
        return x - 1


def _spec(tmp_path):
    return ExportSpec(source=ModelSource(path=str(tmp_path)), output=str(tmp_path / "m.onnx"))


def test_legacy_export_notes_the_values_it_fixed(tmp_path):
    notes = exporters.legacy(_Branchy(), {"x": torch.ones(2, 8)}, tmp_path / "m.onnx", _spec(tmp_path),
                             (["x"], ["y"]), {"x": {0: "batch", 1: "sequence"}})
    assert len(notes) == 1 and "legacy exporter fixed 1 value(s)" in notes[0]
    assert "test_export_traced_constants.py:" in notes[0] and "validate at other shapes" in notes[0]


def test_a_plain_trace_has_no_note(tmp_path):
    model = torch.nn.Linear(4, 3)
    notes = exporters.legacy(model, {"input": torch.ones(2, 4)}, tmp_path / "m.onnx", _spec(tmp_path),
                             (["input"], ["y"]), {"input": {0: "batch"}})
    assert notes == []


def test_only_trace_warnings_count():
    def caught(message, category=torch.jit.TracerWarning):
        return warnings.WarningMessage(message, category, "/x/modeling_a.py", 12)

    assert exporters.traced_constants_note([caught("torch.tensor results are registered as constants")]) == []
    many = [caught("Converting a tensor to a Python boolean might cause the trace to be incorrect")] * 2 + [
        warnings.WarningMessage("Iterating over a tensor might cause the trace to be incorrect.",
                                torch.jit.TracerWarning, f"/x/b{i}.py", i) for i in range(4)]
    note = exporters.traced_constants_note(many)[0]
    assert "fixed 5 value(s)" in note and "modeling_a.py:12" in note and "and 2 more" in note


def test_a_failed_dynamo_trace_prints_no_graph(tmp_path, capfd):
    import pytest

    from workbench.core.errors import WorkbenchError  # noqa: F401 - the exporter may raise it or torch's error

    with pytest.raises(Exception):
        exporters.dynamo(_Branchy(), {"x": torch.ones(2, 8)}, tmp_path / "d.onnx", _spec(tmp_path), (["x"], ["y"]),
                         {"x": {0: "batch", 1: "sequence"}}, True)
    err = capfd.readouterr().err
    assert "def forward" not in err and "GraphModule" not in err
