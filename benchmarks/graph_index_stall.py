"""GUI-thread stall while the Graph panel reads a large ONNX file's nodes: on the GUI thread (as before the node
index moved off it) against the panel's open_model now (workbench.gui.netron.loader: a background thread).

A 10 ms QTimer records a timestamp at every tick; the longest gap between ticks is the stall. The model is a
generated chain of N elementwise nodes (Add/Mul with a [64] weight each), so ``onnx.load`` and shape inference
have real work; the panel is hidden, so no web view starts (Netron's own load is benchmarks/gui_stall.py's).
The first row is what the panel did before: the index read and the list filled with a QStandardItem per node,
both on the GUI thread; the second is open_model now (the read in a thread, the list a model over the index).
Writes ``benchmarks/results/graph_index_stall.json`` and ``.md``.

    python benchmarks/graph_index_stall.py [--nodes 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="workbench-graph-stall-")  # never the user's settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
TICK_MS = 10


def make_model(path: Path, nodes: int) -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    prev, graph_nodes, weights = "x", [], []
    for i in range(nodes):
        weights.append(numpy_helper.from_array(np.full((64,), 0.5, np.float32), f"w{i}"))
        graph_nodes.append(helper.make_node("Add" if i % 2 else "Mul", [prev, f"w{i}"], [f"t{i}"], name=f"n{i}"))
        prev = f"t{i}"
    graph = helper.make_graph(graph_nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 64])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)], weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.gui.netron.index import NodeIndex
    from workbench.gui.panels.graph_panel import KEY_ROLE, GraphPanel
    from workbench.gui.state import AppState

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="workbench-graph-stall-model-"))
    path = folder / "chain.onnx"
    make_model(path, args.nodes)
    panel = GraphPanel(AppState())  # hidden: the node index and the list only
    clock = QElapsedTimer()
    clock.start()

    def measure(start, done) -> dict:
        ticks = []
        ticker = QTimer()
        ticker.setInterval(TICK_MS)
        ticker.timeout.connect(lambda: ticks.append(clock.elapsed()))
        ticker.start()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # the ticker settles
            app.processEvents()
        ticks.clear()
        began = clock.elapsed()
        QTimer.singleShot(0, start)
        while not done():
            app.processEvents()
        ended = clock.elapsed()
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            app.processEvents()
        ticker.stop()
        stamps = [began] + [t for t in ticks if t >= began]
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        return {"seconds": (ended - began) / 1000, "max_gap_ms": max(gaps) if gaps else 0.0,
                "gaps_over_50ms": sum(g > 50 for g in gaps)}

    def on_gui_thread():  # what GraphPanel.open_model did before: read, then list (a QStandardItem per node)
        from PySide6.QtGui import QStandardItem, QStandardItemModel

        panel.model_path, panel.index = str(path), NodeIndex(str(path))
        items = QStandardItemModel()
        for key, op_type in panel.index.entries():
            item = QStandardItem(f"{key}  ·  {op_type}")
            item.setData(key, KEY_ROLE)
            item.setEditable(False)
            items.appendRow(item)
        panel._fill_list()

    def now():
        panel.open_model(str(path))

    def reset():
        panel.index = None
        panel.model.clear()

    rows = {"on the GUI thread (before)": [], "GraphPanel.open_model (now, off the GUI thread)": []}
    for _ in range(args.repeats):
        for name, start in zip(rows, (on_gui_thread, now)):
            reset()
            rows[name].append(measure(start, lambda: panel.model.rowCount() == args.nodes))
    summary = {name: {"max_gap_ms": max(r["max_gap_ms"] for r in runs),
                      "median_max_gap_ms": sorted(r["max_gap_ms"] for r in runs)[len(runs) // 2],
                      "median_seconds": sorted(r["seconds"] for r in runs)[len(runs) // 2], "runs": runs}
               for name, runs in rows.items()}
    info = {"nodes": args.nodes, "file_bytes": path.stat().st_size, "repeats": args.repeats,
            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "load_average": os.getloadavg(), "results": summary}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "graph_index_stall.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    lines = ["# Graph panel: GUI stall while a large ONNX file's nodes are read", "",
             f"A generated chain of {args.nodes} Add/Mul nodes ({path.stat().st_size / 1e6:.1f} MB), hidden panel "
             f"(no web view); longest gap between the ticks of a {TICK_MS} ms QTimer, from the start until the node "
             f"list holds every node; {args.repeats} runs each. `benchmarks/graph_index_stall.py`.", "",
             f"Machine: {info['machine']}; load average at the end {[round(x, 2) for x in info['load_average']]} "
             "(a shared machine: other work was running).", "",
             "| Node index read | max gap ms (worst) | max gap ms (median run) | list ready s (median) |",
             "|---|---:|---:|---:|"]
    for name, s in summary.items():
        lines.append(f"| {name} | {s['max_gap_ms']:.0f} | {s['median_max_gap_ms']:.0f} | "
                     f"{s['median_seconds']:.2f} |")
    lines += ["", "Shape inference holds the GIL throughout, so from NodeIndex.CHILD_INFER_NODES (5000) nodes on it "
                  "runs in a child Python process: the GUI thread stays responsive, and the list comes later (the "
                  "child imports onnx; slow on this loaded machine)."]
    (RESULTS / "graph_index_stall.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
