"""The bundle's `--self-test` (workbench/gui/selftest.py), run in-process as the bundle runs it: the demo walk
through the window's real jobs (on the suite's tiny BERT, shared and quick; the built-in demo model with
--runslow, as the bundle runs it) passes with every check; a failed step, a timeout and each missing piece fail
it."""

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
# the walk saves QSettings: a private folder, never the user's (the root conftest set headless Qt already)
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="workbench-packaging-settings-"))

from workbench.gui import selftest  # noqa: E402


@pytest.fixture(scope="module")
def passed_run(tmp_path_factory, tiny_models):
    work = tmp_path_factory.mktemp("selftest")
    lines = []
    code = selftest.run(timeout_s=600, say=lines.append, keep=str(work), model=str(tiny_models("bert")))
    return code, lines, work


@pytest.mark.slow
def test_self_test_on_the_built_in_demo_model(tmp_path):
    lines = []
    assert selftest.run(timeout_s=900, say=lines.append, keep=str(tmp_path)) == 0, "\n".join(lines)
    assert (tmp_path / "demo-model" / "config.json").is_file()


def test_self_test_walks_the_pipeline_and_passes(passed_run):
    code, lines, work = passed_run
    text = "\n".join(lines)
    assert code == 0, text
    for check in ("export", "validate", "bench", "netron", "translations"):
        assert f"self-test: {check}: ok" in text, text
    assert text.rstrip().splitlines()[-1].startswith("self-test passed")
    onnx = list((work / "runs").glob("run-*/model.onnx"))  # the demo's outputs stayed in the work folder
    assert len(onnx) == 1 and onnx[0].stat().st_size > 1000
    assert (work / "settings.ini").is_file()  # the window's settings went there, not to the user's


def _thread_job(fn):
    def start(self):
        return self.window.jobs.run_in_thread("build", fn)
    return start


def _fail(progress=None, cancel=None):
    from workbench.core.errors import WorkbenchError

    raise WorkbenchError("the demo model could not be built", "check the disk")


def _sleep(progress=None, cancel=None):
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if cancel is not None:
            cancel.check()
        time.sleep(0.05)


def test_a_failed_step_fails_the_self_test(monkeypatch, tmp_path, capsys):
    from workbench.gui import demo

    monkeypatch.setattr(demo.DemoRunner, "_build", _thread_job(_fail))
    code = selftest.run(timeout_s=120, say=lambda line: None, keep=str(tmp_path))
    err = capsys.readouterr().err
    assert code == 1
    assert "self-test failed: demo stopped at 'build'" in err, err
    assert "self-test failed: export: no exported ONNX file" in err, err


def test_a_demo_that_does_not_finish_in_time_fails(monkeypatch, tmp_path, capsys):
    from workbench.gui import demo

    monkeypatch.setattr(demo.DemoRunner, "_build", _thread_job(_sleep))
    started = time.monotonic()
    code = selftest.run(timeout_s=1.0, say=lambda line: None, keep=str(tmp_path))
    assert code == 1
    assert "did not finish within 1 s (step build)" in capsys.readouterr().err
    assert time.monotonic() - started < 60  # the stuck job was cancelled, not waited for


def test_netron_check_needs_the_static_files(passed_run, monkeypatch, tmp_path):
    _, _, work = passed_run
    model = next((work / "runs").glob("run-*/model.onnx"))
    name, ok, detail = selftest._netron_check(model)
    assert ok, detail
    assert selftest._netron_check(tmp_path / "none.onnx")[1] is False
    import netron

    monkeypatch.setattr(netron, "start", lambda *a, **k: (_ for _ in ()).throw(FileNotFoundError("index.html")))
    name, ok, detail = selftest._netron_check(model)
    assert not ok and "index.html" in detail


def test_translation_check_needs_the_qm(monkeypatch, tmp_path):
    assert selftest._translation_check()[1] is True
    from workbench.gui import theme

    monkeypatch.setattr(theme, "resource", lambda *parts: tmp_path / "missing.qm")
    name, ok, detail = selftest._translation_check()
    assert not ok and "missing" in detail
    (tmp_path / "missing.qm").write_bytes(b"not a qm file")
    assert selftest._translation_check()[1] is False


def test_checks_fail_on_an_empty_window():
    class State:
        onnx_path, validation = "", None

    class Window:
        state = State()
        bench_panel = type("P", (), {"results": []})()

    results = {name: ok for name, ok, _ in selftest._checks(Window(), Path("."))}
    assert results["export"] is False and results["validate"] is False and results["bench"] is False
    assert results["netron"] is False


def test_bundle_entry_dispatches(monkeypatch):
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "packaging"))
    try:
        import entry
    finally:
        sys.path.remove(str(root / "packaging"))
    seen = {}
    monkeypatch.setattr(selftest, "main", lambda argv: seen.setdefault("selftest", argv) and 0 or 0)
    monkeypatch.setattr(sys, "argv", ["model-workbench", "--self-test", "--timeout", "5"])
    assert entry.main() == 0 and seen["selftest"] == ["--timeout", "5"]
    import workbench.cli

    monkeypatch.setattr(workbench.cli, "main", lambda argv: seen.setdefault("cli", argv) and 3)
    monkeypatch.setattr(sys, "argv", ["model-workbench", "cli", "runtimes", "--json"])
    assert entry.main() == 3 and seen["cli"] == ["runtimes", "--json"]
