"""The charts' data, Qt-free: preallocated ring buffers of samples and rolling percentiles over them."""

from __future__ import annotations

import numpy as np

DEFAULT_CAPACITY = 131_072  # points kept per series (the oldest are dropped past it)


class RingBuffer:
    """Fixed-capacity columns of float64 (x, y, ...) in preallocated arrays; the oldest rows drop out when full."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, columns: int = 2):
        self.capacity = int(capacity)
        self.data = np.empty((columns, self.capacity), dtype=np.float64)
        self.start = 0  # index of the oldest row
        self.size = 0
        self.total = 0  # rows ever appended

    def __len__(self) -> int:
        return self.size

    def clear(self) -> None:
        self.start = self.size = self.total = 0

    def extend(self, *cols) -> None:
        """Append rows given column-wise (arrays of one length, or scalars)."""
        arrays = [np.atleast_1d(np.asarray(c, dtype=np.float64)) for c in cols]
        n = len(arrays[0])
        if n == 0:
            return
        if n > self.capacity:  # keep only what fits
            arrays = [a[-self.capacity:] for a in arrays]
            self.start, self.size, self.total = 0, 0, self.total + n - self.capacity
            n = self.capacity
        end = (self.start + self.size) % self.capacity
        first = min(n, self.capacity - end)
        for row, a in enumerate(arrays):
            self.data[row, end:end + first] = a[:first]
            if first < n:
                self.data[row, :n - first] = a[first:]
        overflow = max(0, self.size + n - self.capacity)
        self.start = (self.start + overflow) % self.capacity
        self.size = min(self.capacity, self.size + n)
        self.total += n

    def column(self, row: int) -> np.ndarray:
        """Column ``row`` oldest first: a view while the buffer has not wrapped, else one copy."""
        if self.start + self.size <= self.capacity:
            return self.data[row, self.start:self.start + self.size]
        return np.concatenate((self.data[row, self.start:], self.data[row, :(self.start + self.size) % self.capacity]))

    def tail(self, row: int, n: int) -> np.ndarray:
        col = self.column(row)
        return col[-n:] if n else col[:0]


def rolling_percentiles(values: np.ndarray, window: int, skip: int = 0) -> tuple:
    """p50 and p95 over the trailing ``window`` values at each index from ``skip`` on (shorter at the start)."""
    n = len(values)
    out50 = np.empty(n - skip)
    out95 = np.empty(n - skip)
    full_from = max(skip, window - 1)
    for i in range(skip, min(full_from, n)):  # the first window-1 points: growing windows
        out50[i - skip], out95[i - skip] = np.percentile(values[:i + 1], [50, 95])
    if n > full_from:
        windows = np.lib.stride_tricks.sliding_window_view(values, window)[full_from - window + 1:]
        q = np.percentile(windows, [50, 95], axis=1)
        out50[full_from - skip:], out95[full_from - skip:] = q[0], q[1]
    return out50, out95
