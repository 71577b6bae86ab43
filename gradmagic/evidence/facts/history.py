"""A fixed-resolution history of many series over training steps.

Every series shares one step axis cut into at most ``buckets`` buckets. While a run is
short each bucket holds one step; when the buckets are full, neighbours merge pairwise
and the bucket width doubles. Each bucket keeps min, mean and max of its finite values
and a count of the NaN/Inf ones, so the size stays flat however long the run is. The
first step at which each series turned NaN/Inf is kept exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_BUCKETS = 1024


class BucketHistory:
    """Min/mean/max per bucket for ``names`` series; ingest blocks of steps with :meth:`add`."""

    def __init__(self, names: list[str], buckets: int = DEFAULT_BUCKETS) -> None:
        if buckets < 2 or buckets % 2:
            raise ValueError(f"`buckets` must be an even number >= 2, got {buckets}")
        self.names = list(names)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.capacity = buckets
        self.width = 1
        self.used = 0
        self.steps = 0
        series = len(self.names)
        self.start = np.zeros(buckets, np.int64)
        self.count = np.zeros(buckets, np.int64)
        self.min = np.full((buckets, series), np.inf, np.float64)
        self.max = np.full((buckets, series), -np.inf, np.float64)
        self.sum = np.zeros((buckets, series), np.float64)
        self.finite = np.zeros((buckets, series), np.int64)
        self.nonfinite = np.zeros((buckets, series), np.int64)
        self.first_nonfinite: dict[str, int] = {}
        self.last = np.full(series, np.nan, np.float64)

    # -- ingest ---------------------------------------------------------------------------
    def add(self, first_step: int, values: np.ndarray) -> None:
        """Add consecutive steps ``first_step, first_step + 1, ...``; ``values`` is (steps, series)."""
        self.add_masked(first_step, values, np.ones(values.shape, bool))

    def add_masked(self, first_step: int, values: np.ndarray, present: np.ndarray) -> None:
        """Like :meth:`add`; where ``present`` is False the series was not measured at that step
        (unlike a NaN, which was measured and counts as non-finite)."""
        values = np.asarray(values, np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.names):
            raise ValueError(f"expected (steps, {len(self.names)}) values, got {values.shape}")
        if not len(values):
            return
        finite = np.isfinite(values) & present
        bad = ~np.isfinite(values) & present
        self._note_first_nonfinite(first_step, bad)
        seen = present.any(axis=0)
        latest = len(values) - 1 - np.argmax(present[::-1], axis=0)
        self.last = np.where(seen, values[latest, np.arange(values.shape[1])], self.last)
        position = 0
        while position < len(values):
            if self.used and self.count[self.used - 1] < self.width:
                take = min(self.width - int(self.count[self.used - 1]), len(values) - position)
                self._merge_into(self.used - 1, values[position:position + take], finite[position:position + take],
                                 bad[position:position + take])
                position += take
                continue
            if self.used == self.capacity:
                self._halve()
                continue
            free = self.capacity - self.used
            take = min(free * self.width, len(values) - position)
            self._append(first_step + position, values[position:position + take], finite[position:position + take],
                         bad[position:position + take])
            position += take
        self.steps = max(self.steps, first_step + len(values) - 1)

    def _note_first_nonfinite(self, first_step: int, bad: np.ndarray) -> None:
        if not bad.any():
            return
        for column in np.flatnonzero(bad.any(axis=0)):
            name = self.names[column]
            if name not in self.first_nonfinite:
                self.first_nonfinite[name] = first_step + int(np.argmax(bad[:, column]))

    def _append(self, step: int, values: np.ndarray, finite: np.ndarray, bad: np.ndarray) -> None:
        rows = len(values)
        starts = np.arange(0, rows, self.width)
        new = len(starts)
        target = slice(self.used, self.used + new)
        self.start[target] = step + starts
        self.count[target] = np.diff(np.append(starts, rows))
        self.min[target] = np.minimum.reduceat(np.where(finite, values, np.inf), starts, axis=0)
        self.max[target] = np.maximum.reduceat(np.where(finite, values, -np.inf), starts, axis=0)
        self.sum[target] = np.add.reduceat(np.where(finite, values, 0.0), starts, axis=0)
        self.finite[target] = np.add.reduceat(finite.astype(np.int64), starts, axis=0)
        self.nonfinite[target] = np.add.reduceat(bad.astype(np.int64), starts, axis=0)
        self.used += new

    def _merge_into(self, bucket: int, values: np.ndarray, finite: np.ndarray, bad: np.ndarray) -> None:
        self.count[bucket] += len(values)
        self.min[bucket] = np.minimum(self.min[bucket], np.where(finite, values, np.inf).min(axis=0))
        self.max[bucket] = np.maximum(self.max[bucket], np.where(finite, values, -np.inf).max(axis=0))
        self.sum[bucket] += np.where(finite, values, 0.0).sum(axis=0)
        self.finite[bucket] += finite.sum(axis=0)
        self.nonfinite[bucket] += bad.sum(axis=0)

    def _halve(self) -> None:
        half = self.capacity // 2
        even, odd = slice(0, self.capacity, 2), slice(1, self.capacity, 2)
        self.start[:half] = self.start[even]
        self.count[:half] = self.count[even] + self.count[odd]
        self.min[:half] = np.minimum(self.min[even], self.min[odd])
        self.max[:half] = np.maximum(self.max[even], self.max[odd])
        self.sum[:half] = self.sum[even] + self.sum[odd]
        self.finite[:half] = self.finite[even] + self.finite[odd]
        self.nonfinite[:half] = self.nonfinite[even] + self.nonfinite[odd]
        for array, empty in ((self.start, 0), (self.count, 0), (self.min, np.inf), (self.max, -np.inf),
                             (self.sum, 0.0), (self.finite, 0), (self.nonfinite, 0)):
            array[half:] = empty
        self.used = half
        self.width *= 2

    # -- read -----------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.index

    def series(self, name: str) -> dict[str, np.ndarray]:
        """``steps`` (first step of each bucket), ``min``, ``mean``, ``max``, ``nonfinite`` for one
        series, over the buckets where it was measured."""
        column = self.index[name]
        used = slice(0, self.used)
        measured = (self.finite[used, column] + self.nonfinite[used, column]) > 0
        finite = self.finite[used, column]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(finite > 0, self.sum[used, column] / np.maximum(finite, 1), np.nan)
        low = np.where(finite > 0, self.min[used, column], np.nan)
        high = np.where(finite > 0, self.max[used, column], np.nan)
        return {
            "steps": self.start[used][measured],
            "count": self.count[used][measured],
            "min": low[measured],
            "mean": mean[measured],
            "max": high[measured],
            "nonfinite": self.nonfinite[used, column][measured],
        }

    def nbytes(self) -> int:
        arrays = (self.start, self.count, self.min, self.max, self.sum, self.finite, self.nonfinite, self.last)
        return int(sum(array.nbytes for array in arrays))

    def to_dict(self, names: list[str] | None = None, points: int | None = None) -> dict[str, Any]:
        """A JSON-friendly copy; ``points`` merges buckets further so each series has at most that many.

        ``steps`` (the first step of each bucket) is shared; each series has ``min``/``mean``/``max``
        lists aligned with it (null where not measured or not finite) and ``nonfinite`` counts
        when there were any.
        """
        factor = 1
        if points is not None:
            while self.used > points * factor:
                factor *= 2
        groups = np.arange(self.used) // factor
        starts = np.flatnonzero(np.diff(np.append(-1, groups))) if self.used else np.array([], np.int64)
        out: dict[str, Any] = {"steps": self.steps, "resolution": self.width * factor,
                               "bucket_steps": [int(s) for s in self.start[:self.used][starts]], "series": {}}
        for name in names if names is not None else self.names:
            column = self.index[name]
            data = _merged(self, column, starts)
            entry = {key: [_number(v) for v in data[key]] for key in ("min", "mean", "max")}
            if data["nonfinite"].any():
                entry["nonfinite"] = [int(v) for v in data["nonfinite"]]
            out["series"][name] = entry
        out["first_nonfinite"] = {name: step for name, step in self.first_nonfinite.items()
                                  if names is None or name in names}
        return out


def _merged(history: BucketHistory, column: int, starts: np.ndarray) -> dict[str, np.ndarray]:
    used = history.used
    if not used:
        empty = np.array([], np.float64)
        return {"min": empty, "mean": empty, "max": empty, "nonfinite": np.array([], np.int64)}
    finite = np.add.reduceat(history.finite[:used, column], starts)
    total = np.add.reduceat(history.sum[:used, column], starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite > 0, total / np.maximum(finite, 1), np.nan)
    low = np.minimum.reduceat(history.min[:used, column], starts)
    high = np.maximum.reduceat(history.max[:used, column], starts)
    return {"min": np.where(finite > 0, low, np.nan), "mean": mean, "max": np.where(finite > 0, high, np.nan),
            "nonfinite": np.add.reduceat(history.nonfinite[:used, column], starts)}


def _number(value: float) -> float | None:
    return float(f"{value:.5g}") if np.isfinite(value) else None
