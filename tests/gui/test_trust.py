"""The GUI's --trust-code: a job whose model is a program (TorchScript, .pt2, model.py) starts only after a dialog
that names the file; declining runs nothing, accepting passes trust_code=True to the job."""

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox


class FakeJob(QObject):
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal(str)
    detail = ""

    def elapsed(self):
        return 0.0


class FakeJobs:
    """Records the jobs a panel starts instead of running them."""

    def __init__(self):
        self.started = []

    def run_in_process(self, name, fn, *args, **kwargs):
        self.started.append((name, fn, args))
        self.kwargs = kwargs
        return FakeJob()

    run_in_thread = run_in_process


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    import torch

    folder = tmp_path_factory.mktemp("programs")
    model = torch.nn.Linear(4, 2).eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 4),)), folder / "net.pt2")
    torch.jit.save(torch.jit.trace(model, (torch.randn(2, 4),)), folder / "net_ts.pt")
    torch.save(model.state_dict(), folder / "weights.pt")
    return folder


@pytest.fixture
def dialog(monkeypatch):
    """QMessageBox.question answering as told; every question asked is recorded."""
    asked = {"answer": QMessageBox.No, "texts": []}

    def question(parent, title, text, *args, **kwargs):
        asked["texts"].append(f"{title}\n{text}")
        return asked["answer"]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _export_panel(qtbot, path, out):
    from workbench.gui.panels.export_panel import ExportPanel
    from workbench.gui.state import AppState

    state = AppState(jobs=FakeJobs())
    state.set_source(str(path))
    panel = ExportPanel(state)
    qtbot.addWidget(panel)
    panel.output_edit.setText(str(out))
    return state, panel


@pytest.mark.parametrize("name", ["net.pt2", "net_ts.pt"])
def test_declining_runs_nothing(name, programs, dialog, qtbot, tmp_path):
    state, panel = _export_panel(qtbot, programs / name, tmp_path / "model.onnx")
    dialog["answer"] = QMessageBox.No
    assert panel.export() is None
    assert state.jobs.started == []
    assert len(dialog["texts"]) == 1
    text = dialog["texts"][0]
    assert name in text and "is a program" in text and "Run it?" in text
    assert str(programs / name) not in state.trusted_programs


@pytest.mark.parametrize("name", ["net.pt2", "net_ts.pt"])
def test_accepting_passes_trust_code(name, programs, dialog, qtbot, tmp_path):
    state, panel = _export_panel(qtbot, programs / name, tmp_path / "model.onnx")
    dialog["answer"] = QMessageBox.Yes
    assert panel.export() is not None
    (_, _, args), = state.jobs.started
    assert args[0].source.path == str(programs / name) and args[0].source.trust_code is True
    assert panel.export() is not None  # asked once per file in a session
    assert len(dialog["texts"]) == 1 and state.jobs.started[1][2][0].source.trust_code is True


def test_weights_are_not_a_program(programs, dialog, qtbot, tmp_path):
    state, panel = _export_panel(qtbot, programs / "weights.pt", tmp_path / "model.onnx")
    panel.export()
    assert dialog["texts"] == []
    (_, _, args), = state.jobs.started
    assert args[0].source.trust_code is False


def test_validate_against_a_program_asks(programs, dialog, qtbot, tmp_path):
    from workbench.gui.panels.validate_panel import ValidatePanel
    from workbench.gui.state import AppState

    state = AppState(jobs=FakeJobs())
    state.set_source(str(programs / "net_ts.pt"))
    panel = ValidatePanel(state)
    qtbot.addWidget(panel)
    panel.model_edit.setText(str(tmp_path / "model.onnx"))
    panel.against_edit.setText(str(programs / "net_ts.pt"))
    dialog["answer"] = QMessageBox.No
    assert panel.validate() is None and state.jobs.started == []
    dialog["answer"] = QMessageBox.Yes
    panel.validate()
    assert state.jobs.started[0][2][0].against.trust_code is True


def test_bench_leaves_out_a_declined_program(programs, dialog, qtbot):
    from workbench.gui.panels.bench_panel import ORT, TORCH, BenchPanel, Variant
    from workbench.gui.state import AppState

    state = AppState()
    panel = BenchPanel(state)
    qtbot.addWidget(panel)
    variants = [Variant("PyTorch eager", TORCH, str(programs / "net.pt2")), Variant("ORT fp32", ORT, "m.onnx")]
    dialog["answer"] = QMessageBox.No
    assert [v.name for v in panel._allowed(variants)] == ["ORT fp32"]
    dialog["answer"] = QMessageBox.Yes
    kept = panel._allowed(variants)
    assert [v.trust_code for v in kept] == [True, False]
    panel.shutdown()


def test_cli_line_carries_the_flag(programs):
    from workbench.core.specs import ExportSpec, ModelSource
    from workbench.gui import commands

    line = commands.export_command(ExportSpec(source=ModelSource(str(programs / "net.pt2")), output="m.onnx"))
    assert line.endswith("--trust-code")
    line = commands.export_command(ExportSpec(source=ModelSource(str(programs / "weights.pt")), output="m.onnx"))
    assert "--trust-code" not in line


def test_recipe_with_trust_code_asks_before_running(dialog, qtbot, tmp_path):
    from workbench.gui.panels.report_panel import ReportPanel
    from workbench.gui.state import AppState

    marker = tmp_path / "MODEL_PY_RAN"
    (tmp_path / "model.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('name = "r"\noutput_dir = "out"\n[source]\npath = "model.py:Net"\ntrust_code = true\n')
    state = AppState(jobs=FakeJobs())
    panel = ReportPanel(state)
    qtbot.addWidget(panel)
    panel.recipe_edit.setText(str(recipe))
    dialog["answer"] = QMessageBox.No
    assert panel.run_recipe() is None and state.jobs.started == []
    assert "model.py" in dialog["texts"][0] and not marker.exists()
    dialog["answer"] = QMessageBox.Yes
    assert panel.run_recipe() is not None
    assert state.jobs.kwargs.get("trust_code") is True
    assert not marker.exists()  # the fake job manager ran nothing; asking read the recipe as data only
