"""Cold start of the desktop workbench: process start to the first painted main window (goal < 1.5 s), and which
heavy modules are imported by then (torch must not be).

    python benchmarks/gui_startup.py [--runs 7]     # writes benchmarks/results/gui_startup.json

Each run is a fresh interpreter (offscreen Qt). The time runs from just before `python` starts (measured by the
parent) to the first paint event of the MainWindow, reported by the child.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import os, sys, time, json
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
from workbench.gui.app import create_application
app = create_application()
from PySide6.QtCore import QObject, QEvent, QTimer
from workbench.gui.main_window import MainWindow

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and not hasattr(self, "at"):
            self.at = time.time()
            heavy = [m for m in ("torch", "onnxruntime", "transformers", "onnx") if m in sys.modules]
            print(json.dumps({"painted_at": self.at, "heavy_modules": heavy}), flush=True)
            QTimer.singleShot(0, app.quit)
        return False

window = MainWindow()
spy = FirstPaint()
window.installEventFilter(spy)
window.resize(1440, 900)
window.show()
app.exec()
window.close()
"""


def one_run() -> dict:
    started = time.time()
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("{")), None)
    if line is None:
        raise SystemExit(f"child failed: {proc.stderr[-2000:]}")
    data = json.loads(line)
    return {"seconds": data["painted_at"] - started, "heavy_modules": data["heavy_modules"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    one_run()  # warm the OS file cache: a cold start means a fresh process, not a cold disk
    runs = [one_run() for _ in range(args.runs)]
    seconds = [r["seconds"] for r in runs]
    result = {
        "what": "process start to the first paint of the MainWindow (offscreen Qt), fresh interpreter per run",
        "runs": args.runs, "median_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
        "min_s": round(min(seconds), 3), "goal_s": 1.5,
        "heavy_modules_at_first_paint": sorted({m for r in runs for m in r["heavy_modules"]}),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": list(os.getloadavg())},
    }
    out = Path(__file__).parent / "results" / "gui_startup.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
