"""Reading a sweep's folder while it runs (the GUI's sweep view polls this; Qt-free): the planned cells
(plan.json), the rows finished so far (cells/<key>.json), and whether the report is written (sweep.json).

A row file is written whole (staged), so a reader sees a cell either finished or not at all."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.core.errors import WorkbenchError


class SweepFolder:
    """``refresh()`` re-reads only the row files that are new since the last call."""

    def __init__(self, folder):
        p = Path(folder)
        if p.is_file() and p.name in ("sweep.json", "plan.json", "sweep.html"):
            p = p.parent
        if not (p / "plan.json").is_file():
            raise WorkbenchError(f"{p} is not a sweep folder (no plan.json)",
                                 "open the output folder of `workbench sweep` (-o DIR)")
        self.folder = p
        self.plan: dict = {}
        self._rows: dict = {}
        self.report: dict | None = None

    def refresh(self) -> bool:
        """Re-read; True when something changed (new rows, a new plan, the final report)."""
        changed = False
        try:
            plan = json.loads((self.folder / "plan.json").read_text("utf-8"))
        except (OSError, ValueError):
            plan = self.plan
        if plan != self.plan:
            self.plan, self._rows, changed = plan, {}, True
        keys = {c["key"] for c in self.plan.get("cells", [])}
        cells = self.folder / "cells"
        for f in sorted(cells.glob("*.json")) if cells.is_dir() else []:
            key = f.stem
            if key not in keys:
                continue
            stamp = f.stat().st_mtime_ns
            if key in self._rows and self._rows[key][0] == stamp:
                continue
            try:
                self._rows[key] = (stamp, json.loads(f.read_text("utf-8")))
                changed = True
            except (OSError, ValueError):
                continue
        report, plan_file = self.folder / "sweep.json", self.folder / "plan.json"
        try:  # the report of this run: written after its plan (an earlier run's report is older than the plan)
            fresh = report.stat().st_mtime_ns >= plan_file.stat().st_mtime_ns
        except OSError:
            fresh = False
        if fresh and (self.report is None or changed):
            try:
                data = json.loads(report.read_text("utf-8"))
            except (OSError, ValueError):
                data = None
            if data is not None and data != self.report:
                self.report, changed = data, True
        elif not fresh and self.report is not None:
            self.report, changed = None, True
        return changed

    @property
    def name(self) -> str:
        return self.plan.get("name", self.folder.name)

    @property
    def total(self) -> int:
        return len(self.plan.get("cells", []))

    def rows(self) -> list:
        """Rows of the cells finished so far, in the plan's order."""
        order = [c["key"] for c in self.plan.get("cells", [])]
        return [self._rows[k][1] for k in order if k in self._rows]
