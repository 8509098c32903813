"""``--self-test`` of the desktop bundle (packaging/) and of an installed GUI: headless proof that the app works.

It opens the main window (offscreen unless a platform is set), walks the built-in demo through the window's own
jobs (build the tiny demo model, load, export, validate, quantize int8, benchmark: the same DemoRunner as
``workbench gui --demo``, so the spawned child processes a frozen bundle must support are exercised), then checks
what a bundle can silently lose: the exported file reads back as ONNX, validation passed, the benchmark measured
every variant, Netron's static files are served for the model, and the Chinese translation loads.

Everything goes into a temporary folder (settings included, never the user's), removed at the end. Returns 0 when
every check passed, else 1 with one line per failed check on stderr.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable, Optional

DEFAULT_TIMEOUT_S = 900.0
BENCH_ITERATIONS = 20
BENCH_SEQUENCE = 16


def _checks(window, folder: Path) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for each thing the demo run must have left behind."""
    import onnx

    results = []
    state = window.state
    onnx_path = Path(state.onnx_path) if state.onnx_path else None
    try:
        ok = onnx_path is not None and onnx_path.is_file()
        if ok:
            onnx.checker.check_model(str(onnx_path))
        results.append(("export", ok, str(onnx_path) if ok else "no exported ONNX file"))
    except Exception as err:  # noqa: BLE001 - reported as a failed check
        results.append(("export", False, f"{onnx_path}: {err}"))
    val = state.validation
    results.append(("validate", bool(val is not None and val.passed),
                    "passed" if val is not None and val.passed else f"validation: {getattr(val, 'reason', None)}"))
    bench = list(getattr(window.bench_panel, "results", []) or [])
    p50s = [float((r.latency_ms or {}).get("p50") or 0) for r in bench]
    results.append(("bench", bool(p50s) and all(p > 0 for p in p50s),
                    ", ".join(f"p50 {p:.3f} ms" for p in p50s) or "no benchmark result"))
    results.append(_netron_check(onnx_path))
    results.append(_translation_check())
    return results


def _netron_check(onnx_path: Optional[Path]) -> tuple[str, bool, str]:
    """Netron's page and scripts come back for the model from its 127.0.0.1 server (static files bundled)."""
    from workbench.gui.netron import server

    if onnx_path is None or not onnx_path.is_file():
        return "netron", False, "no model to serve"
    try:
        address = server.start(str(onnx_path))
    except Exception as err:  # noqa: BLE001
        return "netron", False, f"netron did not start: {err}"
    try:
        base = f"http://{address[0]}:{address[1]}"
        with urllib.request.urlopen(base + "/", timeout=10) as reply:  # noqa: S310 - our own loopback server
            page = reply.read().decode("utf-8", "replace")
        with urllib.request.urlopen(base + "/view.js", timeout=10) as reply:  # noqa: S310
            script = len(reply.read())
        ok = "<html" in page.lower() and script > 10000
        return "netron", ok, f"index {len(page)} B, view.js {script} B"
    except Exception as err:  # noqa: BLE001
        return "netron", False, f"netron's files are missing: {err}"
    finally:
        server.stop(address)


def _translation_check() -> tuple[str, bool, str]:
    """The Chinese .qm is bundled and translates a string of the window."""
    from PySide6.QtCore import QByteArray, QTranslator

    from workbench.gui.theme import resource

    node = resource("translations", "workbench_zh_CN.qm")
    if not node.is_file():
        return "translations", False, "workbench_zh_CN.qm is missing"
    data = QByteArray(node.read_bytes())
    translator = QTranslator()
    if not translator.load(data):
        return "translations", False, "workbench_zh_CN.qm does not load"
    source = "Step 5: measuring how fast the model runs."
    text = translator.translate("DemoRunner", source)
    return "translations", bool(text) and text != source, f"zh_CN: {text or 'no translation'}"


def run(timeout_s: float = DEFAULT_TIMEOUT_S, say: Callable[[str], None] = print,
        keep: Optional[str] = None, model: Optional[str] = None) -> int:
    """Run the self-test in this process; 0 when every check passed. ``keep``: a folder to work in, left behind;
    ``model``: a Hugging Face folder to walk instead of the built-in demo model (built when not given)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Chromium refuses to start its sandbox as root (containers)
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    started = time.monotonic()
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="workbench-selftest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(work, timeout_s, say, started, model)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _jobs(window) -> list:
    jobs = getattr(window.jobs, "jobs", None)
    return list(jobs() if callable(jobs) else jobs or [])


def _run(work: Path, timeout_s: float, say: Callable[[str], None], started: float, model: Optional[str]) -> int:
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSettings, QTimer

    from workbench.gui.app import create_application
    from workbench.gui.main_window import MainWindow
    from workbench.gui.settings import Settings

    app = create_application()
    settings = Settings(QSettings(str(work / "settings.ini"), QSettings.IniFormat))  # never the user's settings
    settings.language = "en"
    window = MainWindow(settings)
    window.show()
    say(f"self-test: main window open ({app.platformName()}), working in {work}")
    outcome: dict = {}
    loop = QEventLoop()
    from workbench.gui import demo

    user_folder = demo.default_demo_folder
    demo.default_demo_folder = lambda: work / "demo-model"  # the demo's runs/ go under ``work`` too
    pause, demo.STEP_PAUSE_MS = demo.STEP_PAUSE_MS, 50  # no pauses for a watcher
    window.bench_panel.iterations.setValue(BENCH_ITERATIONS)  # proof that it runs, not a measurement
    window.bench_panel.warmup.setValue(2)
    window.bench_panel.sequence.setValue(BENCH_SEQUENCE)  # within any small model's positions
    try:
        runner = window.start_demo(str(model or work / "demo-model"))
        runner.stepStarted.connect(lambda step: say(f"self-test: {step} ({time.monotonic() - started:.0f} s)"))

        def finished(ok: bool) -> None:
            outcome["demo"] = ok
            loop.quit()

        runner.finished.connect(finished)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        if "demo" not in outcome:
            print(f"self-test failed: the demo did not finish within {timeout_s:.0f} s (step {runner.current_step})",
                  file=sys.stderr)
            return 1
        failures = []
        if not outcome["demo"]:
            errors = [f"{job.name}: {job.error}" for job in _jobs(window) if job.error]
            failures.append(f"demo stopped at '{runner.current_step}': {'; '.join(errors) or 'see the log'}")
            for job in _jobs(window):
                if job.detail:
                    say(f"self-test: {job.name} failed:\n{job.detail}")
        for name, ok, detail in _checks(window, work):
            say(f"self-test: {name}: {'ok' if ok else 'FAILED'} ({detail})")
            if not ok:
                failures.append(f"{name}: {detail}")
    finally:
        demo.default_demo_folder, demo.STEP_PAUSE_MS = user_folder, pause
        window.shutdown()
        window.close()
        window.deleteLater()  # now, not at interpreter exit (after QtWebEngine's profile: a crash there)
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        app.processEvents()
    elapsed = time.monotonic() - started
    if failures:
        for line in failures:
            print(f"self-test failed: {line}", file=sys.stderr)
        return 1
    say(f"self-test passed in {elapsed:.0f} s")
    return 0


def main(argv: Optional[list] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="workbench-gui --self-test", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds before it gives up")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and leave it (default: a temp folder, removed)")
    parser.add_argument("--model", metavar="HF_DIR", help="walk this model folder instead of the built-in demo")
    args = parser.parse_args(argv)
    return run(args.timeout, keep=args.keep, model=args.model)


if __name__ == "__main__":
    sys.exit(main())
