"""Screenshots of every panel after its job ran, for docs/screenshots/ (headless: QT_QPA_PLATFORM=offscreen).

    python tools/screenshots.py                      # the demo model (tiny DeepSeek-V3), built in a temp folder
    python tools/screenshots.py --model path/to/hf-folder --out docs/screenshots

It drives the real window: load -> export -> validate -> optimize -> quantize -> benchmark -> recipe run/report,
then the Graph tab, the dark theme and the Chinese interface (switched live on the same window, so its results
stay), saving one PNG per view (``widget.grab().save``). Chinese glyphs need a CJK font (fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="workbench-shots-settings-")  # never the user's settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wait_until(app, predicate, timeout_s: float, what: str) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.02)
    print(f"  timed out waiting for {what}", file=sys.stderr)
    return False


def settle(app, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait_jobs(app, jobs, timeout_s: float, what: str) -> bool:
    jobs = [j for j in (jobs if isinstance(jobs, list) else [jobs]) if j is not None]
    ok = wait_until(app, lambda: all(not j.is_running for j in jobs), timeout_s, what)
    for job in jobs:
        job.wait(10000)
        print(f"  {job.name}: {job.state} in {job.elapsed():.1f} s {job.error}")
    return ok and all(j.state == "done" for j in jobs)


class Shooter:
    def __init__(self, app, window, out: Path):
        self.app, self.window, self.out = app, window, out
        self.count = 0

    def shot(self, name: str, widget=None, settle_s: float = 0.5) -> Path:
        settle(self.app, settle_s)
        self.count += 1
        path = self.out / f"{self.count:02d}-{name}.png"
        (widget or self.window).grab().save(str(path))
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path


def build_model(app, window, folder: Path) -> Path:
    from workbench.gui.tasks import build_demo_model

    if (folder / "config.json").exists():
        return folder
    job = window.jobs.run_in_process("Build the demo model", build_demo_model, str(folder))
    if not wait_jobs(app, job, 600, "the demo model"):
        raise SystemExit(f"could not build the demo model: {job.error}")
    return folder


def run(args) -> int:
    from workbench.gui import theme
    from workbench.gui.app import create_application
    from workbench.gui.main_window import MainWindow

    app = create_application()
    settings = theme.Settings()
    settings.q.clear()
    theme.apply_theme("light", app)
    theme.install_translator("en", app)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    work = Path(args.work or tempfile.mkdtemp(prefix="workbench-shots-"))
    window = MainWindow(settings)
    window.resize(1440, 900)
    window.show()
    shooter = Shooter(app, window, out)
    shooter.shot("start")

    model = Path(args.model) if args.model else build_model(app, window, work / "demo-model")
    window.state.output_dir = str(work / "out")
    print("load")
    wait_jobs(app, window.open_path(str(model)), 120, "inspect")
    window.load_panel.filter_edit.setText("layers.0")
    settle(app, 0.5)
    shooter.shot("load")
    window.load_panel.filter_edit.clear()

    print("export")
    window.export_panel.output_edit.setText(str(work / "out" / "model.onnx"))
    if not wait_jobs(app, window.run_export(), 900, "export"):
        shooter.shot("export-failed")
        return 1
    window.show_panel("graph")  # where a finished export leaves the window; Chromium renders visible pages only
    graph_ready = lambda: getattr(getattr(window.graph_panel, "view", None), "is_ready", False)  # noqa: E731
    if wait_until(app, graph_ready, 180, "the graph view"):
        settle(app, 2.0)
        window.graph_panel.highlight(_first_matmul(window.state.onnx_path))
    shooter.shot("graph", settle_s=3.0)
    window.show_panel("export")
    shooter.shot("export")

    print("validate")
    wait_jobs(app, window.run_validate(), 600, "validate")
    shooter.shot("validate")

    print("optimize")
    window.show_panel("optimize")
    wait_jobs(app, window.optimize_panel.optimize(), 600, "optimize")
    shooter.shot("optimize")

    print("quantize")
    for mode, check in window.quantize_panel.mode_checks.items():
        check.setChecked(mode in ("int8-dynamic", "fp16", "int4"))
    wait_jobs(app, window.run_quantize(), 900, "quantize")
    shooter.shot("quantize")

    print("bench")
    panel = window.bench_panel
    for name in ("iterations", "warmup"):
        spin = getattr(panel, name, None)
        if spin is not None:
            spin.setValue(30 if name == "iterations" else 3)
    if hasattr(panel, "sequence"):
        panel.sequence.setValue(32)
    window.run_bench()
    wait_until(app, lambda: not window.bench_running(), 900, "the benchmark")
    shooter.shot("bench", settle_s=1.0)

    if not args.skip_report:
        print("report (recipe run)")
        window.show_panel("report")
        window.report_panel.output_edit.setText(str(work / "recipe-run"))
        recipe = window.report_panel.save_recipe(str(work / "recipe.toml"))
        print(f"  recipe {recipe}")
        job = window.report_panel.run_recipe()
        wait_jobs(app, job, 1800, "the recipe run")
        settle(app, 4.0)
        shooter.shot("report", settle_s=2.0)

    print("jobs and log")
    window.show_panel("quantize")
    # one job still running (progress, elapsed time, Cancel), then cancelled: straight through the JobManager so
    # the panels' step marks stay as they are
    from workbench.gui.tasks import run_export

    spec = window.export_panel.spec()
    spec = type(spec)(**{**spec.__dict__, "output": str(work / "again" / "model.onnx")})
    job = window.jobs.run_in_process("Export model.onnx (again)", run_export, spec, cleanup=[spec.output])
    wait_until(app, lambda: job.fraction > 0.2 or not job.is_running, 300, "the second export to progress")
    settle(app, 1.5)
    shooter.shot("jobs-dock", window.jobs_dock)
    job.cancel()
    wait_jobs(app, job, 60, "the cancelled export")
    print("dark theme")
    window.set_theme("dark")
    window.show_panel("validate")
    shooter.shot("dark-validate")
    window.show_panel("load")
    shooter.shot("dark-load")
    window.set_theme("light")
    about = window.show_about()
    shooter.shot("about", about)
    about.close()

    print("chinese (switched live: the session, its results and marks stay)")
    window.set_language("zh_CN")
    window.show_panel("load")
    shooter.shot("zh-load")
    window.show_panel("export")
    shooter.shot("zh-export")
    window.show_panel("validate")
    shooter.shot("zh-validate")
    window.show_panel("quantize")
    shooter.shot("zh-quantize")
    window.set_language("en")
    zh_shooter = shooter

    print("chat")
    chat = MainWindow(settings)
    chat.resize(1440, 900)
    chat.show()
    chat.state.output_dir = str(work / "out-chat")
    wait_jobs(app, chat.open_path(str(model)), 120, "inspect")
    chat.show_panel("chat")
    panel = chat.chat_panel
    wait_jobs(app, panel.export_decoder(), 600, "the export for chat")
    panel.prompt_edit.setPlainText("Explain what an ONNX model is, in one sentence.")
    panel.max_tokens_spin.setValue(40)
    wait_jobs(app, panel.send(), 300, "the chat answers")
    chat_shooter = Shooter(app, chat, out)
    chat_shooter.count = zh_shooter.count
    chat_shooter.shot("chat")
    chat.shutdown()

    print("chinese, light and dark: Export and Benchmark")
    shooter.count = chat_shooter.count
    window.set_language("zh_CN")
    for name in ("light", "dark"):
        window.set_theme(name)
        prefix = "zh-" if name == "light" else "zh-dark-"
        if name == "dark":
            window.show_panel("export")
            shooter.shot(prefix + "export")
        window.show_panel("bench")
        shooter.shot(prefix + "bench", settle_s=1.0)
    window.set_theme("light")
    window.set_language("en")
    window.shutdown()
    window.hide()
    settings.q.clear()
    from PySide6.QtCore import QCoreApplication, QEvent

    for done in (chat, window):  # destroyed now, not in the interpreter's teardown (which crashed QtWebEngine)
        done.close()
        done.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return 0


def _first_matmul(onnx_path: str) -> str:
    import onnx

    model = onnx.load(onnx_path, load_external_data=False)
    return next((n.name for n in model.graph.node if n.op_type == "MatMul"), model.graph.node[0].name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model folder or checkpoint (default: the demo model)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--work", help="folder for the outputs (default: a temp folder)")
    parser.add_argument("--skip-report", action="store_true", help="do not run the whole recipe for the report")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
