"""The recorder's history stays the same size from 1,000 to 1,000,000 recorded steps.

Feeds synthetic per-step rows (the layout the in-graph recorder writes, for a model with
10 layers of weights and biases) through the same host path a real run uses, in blocks of
100 steps (one host read at the default interval), and prints the size of the history in
memory and as JSON in the report after each run length.

    .venv/bin/python tests/benchmarks/recorder_memory.py
"""

from __future__ import annotations

import json
import time

import numpy as np

from gradmagic.evidence.facts.history import BucketHistory
from gradmagic.evidence.facts.recording import Recording, Slot, series_name
from gradmagic.evidence.recorder import GLOBAL_QUANTITIES, LAYER_QUANTITIES
from gradmagic.evidence.recorder_graph import HEAD, SLOT_COLUMNS, width

LAYERS = 10
BLOCK = 100


def synthetic_session():
    """A recorder session without a model: only the host side that turns rows into history."""
    from gradmagic.evidence.recorder import _RecorderSession

    slots = []
    for index in range(LAYERS):
        slots.append(Slot(path=f"layer_{index}/kernel", layer=f"layer_{index}", size=64 * 64, kernel=True))
        slots.append(Slot(path=f"layer_{index}/bias", layer=f"layer_{index}", size=64, kernel=False))
    layers = [f"layer_{index}" for index in range(LAYERS)]
    names = [series_name(q) for q in GLOBAL_QUANTITIES] + [series_name(q, layer) for layer in layers
                                                          for q in LAYER_QUANTITIES]
    session = object.__new__(_RecorderSession)
    session.rec = Recording(slots=slots, layers=layers, history=BucketHistory(names), optimizer={"loss_scale": False})
    session._plan_columns()
    return session


def rows(first_step: int, count: int, slots: int, rng: np.random.Generator) -> np.ndarray:
    block = rng.random((count, width(slots))).astype(np.float32)
    steps = np.arange(first_step, first_step + count, dtype=np.float32)
    block[:, 0] = 1.0 / np.sqrt(steps)  # a loss that decreases
    block[:, 2] = 1.0  # the loss was captured
    for slot in range(slots):
        base = len(HEAD) + slot * len(SLOT_COLUMNS)
        if slot % 2:  # biases: no update ratio
            block[:, base + 4] = -1.0
            block[:, base + 5] = -1.0
    return block


def main() -> int:
    rng = np.random.default_rng(0)
    print(f"{LAYERS} layers, {len(synthetic_session().rec.history.names)} series, blocks of {BLOCK} steps")
    print(f"{'steps':>10} {'buckets':>8} {'resolution':>10} {'memory':>10} {'report JSON':>12} {'ingest':>9}")
    for total in (1_000, 10_000, 100_000, 1_000_000):
        session = synthetic_session()
        elapsed = 0.0
        for first in range(1, total + 1, BLOCK):
            block = rows(first, min(BLOCK, total - first + 1), len(session.rec.slots), rng)
            started = time.perf_counter()
            values, present = session._series_values(block)
            session.rec.history.add_masked(first, values, present)
            session.rec.steps = first + len(block) - 1
            elapsed += time.perf_counter() - started
        history = session.rec.history
        report = json.dumps(session.rec.to_dict())
        print(f"{total:>10,} {history.used:>8} {history.width:>10} {history.nbytes() / 1024:>8.0f} KB "
              f"{len(report) / 1024:>9.0f} KB {elapsed / total * 1e6:>6.1f} µs/step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
