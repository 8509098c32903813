"""`workbench bench` with several models, or with --compare-torch: each variant in a process of its own.

A process's peak RSS only grows, so rows measured in one process share memory; here every row runs in a spawned
child (``core.bench.isolated.compare_table``, as recipes do): PyTorch eager first (its inputs are then fed to
every ONNX variant), then each model, all on identical input values. One model with --compare-torch keeps the
single-model result (its ``torch`` rows, the same JSON keys); several models give one comparison table with the
speed-up and memory against the baseline (PyTorch when given, else the first model).
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.bench.isolated import format_table

ISOLATED_NOTE = "each row ran in a process of its own: its peak RSS is that runtime's alone"


def labels(paths: list) -> list:
    """Short unique names for the table: the file name, with its folder where two names clash."""
    names = [Path(str(p)).name or str(p) for p in paths]
    out = []
    for p, name in zip(paths, names):
        if names.count(name) > 1:
            name = str(Path(str(p)).parent.name + "/" + name)
        out.append(name)
    counts = {name: out.count(name) for name in out}
    seen: dict = {}
    for i, name in enumerate(list(out)):  # still equal (same folder name too): number them
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            out[i] = f"{name} #{seen[name]}"
    return out


class Comparison:
    """The rows of one comparison: JSON through to_dict, a table as text."""

    def __init__(self, rows: list, baseline: str):
        self.rows, self.baseline = rows, baseline

    def _base(self):
        return next((r for r in self.rows if r.name == self.baseline), self.rows[0])

    def ratios(self) -> list:
        """(speed-up, memory ratio) of each row against the baseline's p50 and peak RSS."""
        base = self._base()
        b50, bmem = (base.latency_ms or {}).get("p50"), base.peak_rss_mb
        out = []
        for r in self.rows:
            p50 = (r.latency_ms or {}).get("p50")
            out.append((b50 / p50 if b50 and p50 else None, r.peak_rss_mb / bmem if bmem and r.peak_rss_mb else None))
        return out

    def to_dict(self) -> dict:
        rows = []
        for r, (speed, mem) in zip(self.rows, self.ratios()):
            row = r.to_dict()
            row.update(speedup_vs_baseline=speed, memory_vs_baseline=mem)
            rows.append(row)
        return {"baseline": self.baseline, "isolated": True, "rows": rows}

    def __str__(self) -> str:
        lines = format_table(self.rows).splitlines()
        ratios = self.ratios()
        cells = ["-" if speed is None else f"{speed:.2f}x" + ("" if mem is None else f", {mem:.2f}x mem")
                 for speed, mem in ratios]
        head = f"vs {self.baseline}"
        width = max(len(head), *(len(c) for c in cells))
        size = max(len(line) for line in lines)
        out = [lines[0].ljust(size) + "  " + head.rjust(width), lines[1].ljust(size) + "  " + "-" * width]
        out += [line.ljust(size) + "  " + cell.rjust(width) for line, cell in zip(lines[2:], cells)]
        return "\n".join(out + [f"note: {ISOLATED_NOTE}"])


def compare(models: list, spec, source=None, progress=None, cancel=None):
    """Benchmark ``models`` (paths) and PyTorch on ``source``, one process each. One model: a BenchResult with its
    ``torch`` rows (the single-model shape); several: a :class:`Comparison`."""
    from workbench.core.bench.isolated import compare_table

    names = labels(models)
    rows = compare_table(dict(zip(names, models)), source, spec, progress=progress, cancel=cancel)
    if len(models) == 1 and source is not None:
        torch_row, result = rows
        result.torch.append(torch_row)
        result.notes.append(ISOLATED_NOTE)
        return result
    return Comparison(rows, rows[0].name)
