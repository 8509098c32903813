"""Sweeps: one recipe (or several models) fanned out over variants and axes, locally or on Ray.

spec.py reads the sweep file, artifacts.py builds each artifact once (content-hash keys), cells.py times one cell,
local.py / ray_cluster.py run them, summary.py and report.py say what the rows mean (curves, Pareto front,
recommendation). ``run_sweep(load_sweep(path), ...)`` is the whole command.
"""

from workbench.core.sweep.runner import SweepResult, run_sweep
from workbench.core.sweep.spec import load_sweep, parse_sweep

__all__ = ["SweepResult", "load_sweep", "parse_sweep", "run_sweep"]
