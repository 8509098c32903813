"""Screenshots of every panel in every state, from a real window under Xvfb, for docs/screenshots/.

    python tools/screenshots.py                      # starts Xvfb, builds the demo model (tiny DeepSeek-V3)
    python tools/screenshots.py --model path/to/hf-folder --out docs/screenshots
    python tools/screenshots.py --offscreen          # no X server: Qt's offscreen platform (widget.grab())

Under Xvfb (apt-get install xvfb) the window is a real X window (platform xcb) and each PNG is what the X server
shows (``QScreen.grabWindow``), web views included. The tool walks the states a user goes through: empty, a failed
load, the demo model loaded, after export, after validate, optimize, quantize results, benchmark done, the report
built from the session, the Jobs dock, About; each state in English and Chinese, light and dark (switched live on
the same window, so the results stay); then every panel at 1280x720 and the Chat panel. Chinese glyphs need a CJK
font (apt-get install fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = (("en", "light", ""), ("zh_CN", "light", "-zh"), ("en", "dark", "-dark"), ("zh_CN", "dark", "-zh-dark"))


def start_xvfb(size: str = "1600x1000"):
    """Xvfb on a free display (the first from :90 without a lock file); returns the process, with DISPLAY and
    QT_QPA_PLATFORM set."""
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed: apt-get install xvfb (or run with --offscreen)")
    for number in range(90, 130):
        if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        end = time.monotonic() + 15
        while time.monotonic() < end and proc.poll() is None and not Path(f"/tmp/.X11-unix/X{number}").exists():
            time.sleep(0.05)
        time.sleep(0.3)
        if proc.poll() is None and Path(f"/tmp/.X11-unix/X{number}").exists():
            os.environ["DISPLAY"] = f":{number}"
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            return proc
        log.seek(0)
        print(f"Xvfb :{number} ended ({proc.poll()}): {log.read().decode(errors='replace')[-300:]}", file=sys.stderr)
        proc.kill()
    raise SystemExit("Xvfb did not start")


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
    """Saves ``NN-name.png``: the screen's pixels where a widget is under Xvfb, ``widget.grab()`` offscreen."""

    def __init__(self, app, window, out: Path):
        self.app, self.window, self.out = app, window, out
        self.count = 0
        self.real = app.platformName() == "xcb"

    def shot(self, name: str, widget=None, settle_s: float = 0.5, numbered: bool = True) -> Path:
        from PySide6.QtCore import QPoint

        settle(self.app, settle_s)
        widget = widget or self.window
        if numbered:
            self.count += 1
        path = self.out / f"{self.count:02d}-{name}.png"
        if self.real:
            # From the root window, as the screen shows it: a window's own drawable holds undefined (stale) pixels
            # where another window (an open message box) covers it.
            pos = widget.mapToGlobal(QPoint(0, 0))
            pixmap = widget.screen().grabWindow(0, pos.x(), pos.y(), widget.width(), widget.height())
        else:
            pixmap = widget.grab()
        pixmap.save(str(path))
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path

    def variants(self, name: str, step: str, variants=VARIANTS, settle_s: float = 0.6) -> None:
        """One state in each language and theme (live switches), numbered once: 05-export, 05-export-zh, ..."""
        self.count += 1
        for language, theme_name, suffix in variants:
            self.window.set_language(language)
            self.window.set_theme(theme_name)
            self.window.show_panel(step)
            self.shot(name + suffix, settle_s=settle_s, numbered=False)
        self.window.set_language("en")
        self.window.set_theme("light")


def close_dialogs(window) -> None:
    from PySide6.QtWidgets import QDialog

    for dialog in window.findChildren(QDialog):
        dialog.close()


def build_model(app, window, folder: Path) -> Path:
    from workbench.gui.tasks import build_demo_model

    if (folder / "config.json").exists():
        return folder
    job = window.jobs.run_in_process("Build the demo model", build_demo_model, str(folder))
    if not wait_jobs(app, job, 600, "the demo model"):
        raise SystemExit(f"could not build the demo model: {job.error}")
    return folder


def run(args) -> int:
    from PySide6.QtCore import QCoreApplication, QEvent

    from workbench.gui import theme
    from workbench.gui.app import create_application
    from workbench.gui.i18n.translators import install_translator
    from workbench.gui.main_window import MainWindow
    from workbench.gui.settings import Settings

    app = create_application()
    print(f"platform {app.platformName()}")
    settings = Settings()
    settings.q.clear()
    theme.apply_theme("light", app)
    install_translator("en", app)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    work = Path(args.work or tempfile.mkdtemp(prefix="workbench-shots-"))
    for stale in ("out", "again", "report", "out-chat"):  # a second run never asks to replace its own outputs
        shutil.rmtree(work / stale, ignore_errors=True)
    window = MainWindow(settings)
    window.move(0, 0)
    window.resize(1440, 900)
    window.show()
    shooter = Shooter(app, window, out)
    shooter.variants("start", "load")

    print("a failed load")
    broken = work / "broken.onnx"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("this is a text file, not an ONNX model\n")
    wait_jobs(app, window.open_path(str(broken)), 120, "the failed load")
    shooter.variants("failed-load", "load")
    window.show_panel("export")
    shooter.shot("failed-load-export")
    close_dialogs(window)

    model = Path(args.model) if args.model else build_model(app, window, work / "demo-model")
    window.state.output_dir = str(work / "out")
    print("load")
    wait_jobs(app, window.open_path(str(model)), 120, "inspect")
    window.load_panel.filter_edit.setText("layers.0")
    shooter.variants("load", "load")
    window.load_panel.filter_edit.clear()

    print("export")
    window.export_panel.output_edit.setText(str(work / "out" / "model.onnx"))
    if not wait_jobs(app, window.run_export(), 900, "export"):
        shooter.shot("export-failed")
        return 1
    shooter.variants("export", "export")
    window.show_panel("graph")  # Chromium renders visible pages only
    graph_ready = lambda: getattr(getattr(window.graph_panel, "view", None), "is_ready", False)  # noqa: E731
    if wait_until(app, graph_ready, 180, "the graph view"):
        settle(app, 2.0)
        window.graph_panel.highlight(_first_matmul(window.state.onnx_path))
    shooter.shot("graph", settle_s=3.0)

    print("validate")
    wait_jobs(app, window.run_validate(), 600, "validate")
    shooter.variants("validate", "validate")

    print("optimize")
    window.show_panel("optimize")
    wait_jobs(app, window.optimize_panel.optimize(), 600, "optimize")
    shooter.variants("optimize", "optimize", VARIANTS[:2])

    print("quantize")
    for mode, check in window.quantize_panel.mode_checks.items():
        check.setChecked(mode in ("int8-dynamic", "fp16", "int4"))
    wait_jobs(app, window.run_quantize(), 900, "quantize")
    shooter.variants("quantize", "quantize")

    print("bench")
    panel = window.bench_panel
    panel.iterations.setValue(30)
    panel.warmup.setValue(3)
    panel.sequence.setValue(32)
    window.run_bench()
    wait_until(app, lambda: not window.bench_running(), 900, "the benchmark")
    shooter.variants("bench", "bench", settle_s=1.0)

    print("report (built from the session's steps: nothing runs again)")
    window.report_panel.output_edit.setText(str(work / "report"))
    window.show_panel("report")
    wait_until(app, lambda: window.report_panel.build_job is not None, 10, "the report build")
    wait_jobs(app, window.report_panel.build_job, 120, "the report")
    shooter.variants("report", "report", VARIANTS[:2], settle_s=3.0)

    print("jobs and log")
    window.show_panel("quantize")
    from workbench.gui.tasks import run_export  # one job running (progress, elapsed time, Cancel), then cancelled

    spec = window.export_panel.spec()
    spec = type(spec)(**{**spec.__dict__, "output": str(work / "again" / "model.onnx")})
    job = window.jobs.run_in_process("Export model.onnx (again)", run_export, spec, cleanup=[spec.output])
    wait_until(app, lambda: job.fraction > 0.2 or not job.is_running, 300, "the second export to progress")
    shooter.shot("jobs-dock", window.jobs_dock, settle_s=1.5)
    job.cancel()
    wait_jobs(app, job, 60, "the cancelled export")
    shooter.shot("log-dock", window.log_dock)
    window.set_language("zh_CN")
    shooter.shot("log-dock-zh", window.log_dock)
    window.set_language("en")
    about = window.show_about()
    shooter.shot("about", about)
    about.close()

    print("1280x720")
    window.resize(1280, 720)
    for step in window.navigator.steps:
        window.show_panel(step)
        shooter.shot(f"1280x720-{step}", settle_s=0.8)
    window.resize(1440, 900)

    if not args.skip_chat:
        print("chat")
        chat = MainWindow(settings)
        chat.move(0, 0)
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
        chat_shooter.count = shooter.count
        chat_shooter.shot("chat")
        chat.shutdown()
        chat.close()
        chat.deleteLater()

    window.shutdown()
    window.hide()
    settings.q.clear()
    window.close()
    window.deleteLater()  # destroyed now, not in the interpreter's teardown (which crashed QtWebEngine)
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
    parser.add_argument("--offscreen", action="store_true", help="no Xvfb: Qt's offscreen platform")
    parser.add_argument("--skip-chat", action="store_true", help="leave out the Chat panel (a second export)")
    args = parser.parse_args()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # Xvfb is stopped on kill too (finally below)
    xvfb = None
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    else:
        xvfb = start_xvfb()
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="workbench-shots-settings-")  # never the user's
    sys.path.insert(0, str(ROOT))
    try:
        return run(args)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)


if __name__ == "__main__":
    sys.exit(main())
