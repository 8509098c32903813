"""What the main window asks of a panel: one small, explicit interface (:class:`WindowPanel`).

The window talks to its panels only through these members. A panel class may inherit :class:`WindowPanel` (its
defaults do nothing); any other widget (the Benchmark and Graph panels, a placeholder for a panel that could not be
built, a test's stub) is wrapped by :func:`window_panel` once, when the window is built, in an adapter that forwards
the members the panel has and answers the defaults for the others. So the window never probes a panel with
``getattr`` when it acts: what each panel offers is settled in this one place.
"""

from __future__ import annotations

from typing import Optional


class WindowPanel:
    """The window's interface to a panel; every member is optional for the panel and has a no-op default."""

    def recipe_sections(self) -> Optional[dict]:
        """This panel's part of a recipe (``{"export": {...}}``); None: the panel writes none."""
        return None

    def spec_fields(self) -> Optional[dict]:
        """The benchmark's settings, for a panel that writes no recipe section of its own; None when none."""
        return None

    def apply_recipe(self, recipe: dict) -> None:
        """Show a loaded recipe's settings."""

    def set_model_available(self, available: bool) -> None:
        """Enable or disable the steps that need a model (False after a failed load)."""

    def set_source(self, path: str) -> None:
        """The loaded model changed (the Benchmark panel's PyTorch variant)."""

    def set_model(self, path: str) -> None:
        """The current ONNX model changed."""

    def open_model(self, path: str) -> None:
        """Show an ONNX file (the Graph panel)."""

    def set_theme(self, name: str) -> None:
        """The theme changed ("light" or "dark"): redraw what the stylesheet does not reach (charts)."""

    def start(self):
        """Start the panel's run (the toolbar's Benchmark); returns what the panel's run returns."""
        return None

    def running(self) -> bool:
        """True while the panel's own run (not a job of the Jobs dock) is going on."""
        return False

    def run_cancelled(self) -> bool:
        """True when the panel's last run ended by a cancel (the Benchmark panel): not a failure."""
        return False

    def shutdown(self) -> None:
        """The window closes: stop views, cancel runs."""

    # Signals the window connects to when the panel has them (None otherwise).
    state_signal = None  # stepStateChanged(step, state): the navigator's marks
    finished_signal = None  # runFinished(list): the Benchmark panel's run ended
    node_signal = None  # nodeSelected(dict): the Graph panel's selection


_FORWARDED = ("recipe_sections", "spec_fields", "apply_recipe", "set_model_available", "set_source", "set_model",
              "open_model", "set_theme", "shutdown", "run_cancelled")
_SIGNALS = {"state_signal": "stepStateChanged", "finished_signal": "runFinished", "node_signal": "nodeSelected"}
_STARTERS = ("start", "run", "start_bench", "run_bench")  # the Benchmark panel's Run, whatever its name


class _Adapted(WindowPanel):
    """A panel that does not inherit :class:`WindowPanel`, seen through the interface."""

    def __init__(self, panel):
        self.panel = panel
        for name in _FORWARDED:
            member = getattr(panel, name, None)
            if callable(member):
                setattr(self, name, member)
        for name, signal in _SIGNALS.items():
            setattr(self, name, getattr(panel, signal, None))
        starter = next((getattr(panel, n) for n in _STARTERS if callable(getattr(panel, n, None))), None)
        if starter is not None:
            self.start = starter
        running = getattr(panel, "running", None)
        if running is not None:
            self.running = running if callable(running) else (lambda: bool(getattr(panel, "running", False)))


def window_panel(panel) -> WindowPanel:
    """``panel`` itself when it implements :class:`WindowPanel`, else its adapter (built once per panel)."""
    return panel if isinstance(panel, WindowPanel) else _Adapted(panel)
