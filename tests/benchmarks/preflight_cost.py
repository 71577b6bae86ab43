"""Cost of the pre-flight pass against one training epoch, and that it does not grow with the data.

Goal (issue 3): pre-flight time at most 0.2x the time of one training epoch of 1,000 rows, and
flat in the size of the data: a ``tf.data`` pipeline of 1e3, 1e5 and 1e7 rows (synthesised
lazily), in-memory arrays of the same sizes, and an infinite generator are measured side by
side in one run. Pre-flight here is everything gradmagic does before the gradient probe:
sampling the first batch without consuming it, describing the model, and ``run_preflight``
(loss/output/targets, the bounded scan of the data, and, only for a head that looks wrong, one
forward pass on the first batch: the "suspect" rows).

    python tests/benchmarks/preflight_cost.py [--repeats 9] [--skip-large-arrays]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gradmagic.capture.live_fit import LiveFit  # noqa: E402
from gradmagic.core.source import SourceUnit  # noqa: E402
from gradmagic.evidence.compiled import describe_loss  # noqa: E402
from gradmagic.evidence.batches import FitArguments, sample_fit_data  # noqa: E402
from gradmagic.evidence.fit_evidence import FitEvidence  # noqa: E402
from gradmagic.evidence.model_info import describe_model  # noqa: E402
from gradmagic.evidence.preflight import run_preflight  # noqa: E402

GOAL = 0.2
FEATURES = 8
BATCH = 32
SIZES = (1_000, 100_000, 10_000_000)


def make_model(loss: str = "mse") -> keras.Model:
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss=loss)
    return model


def pipeline(rows: int) -> tf.data.Dataset:
    """``rows`` rows made on demand: nothing is materialised up front."""
    def row(i):
        value = tf.cast(i, tf.float32) / float(rows)
        return tf.fill([FEATURES], value), tf.reshape(value * 2.0, [1])
    return tf.data.Dataset.range(rows).map(row).batch(BATCH)


def forever():
    rng = np.random.default_rng(0)
    while True:
        yield rng.random((BATCH, FEATURES), dtype=np.float32), rng.random((BATCH, 1), dtype=np.float32)


def preflight_seconds(model: keras.Model, args: tuple, kwargs: dict) -> tuple[float, str]:
    started = time.perf_counter()
    fit_args = FitArguments.bind(keras.Model.fit, model, args, kwargs)
    sample, _ = sample_fit_data(fit_args)
    live = LiveFit(model=model, loss=model.loss, arguments=fit_args.arguments, batch=sample)
    evidence = FitEvidence(index=0, line=None, method="fit", model_identity=1, model_info=describe_model(model),
                           data=sample.facts, custom_train_step=False, compiled=True, loss=describe_loss(model.loss))
    result = run_preflight(evidence, SourceUnit("", "<benchmark>"), live)
    return time.perf_counter() - started, result.sampled


class EpochTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def epoch_seconds() -> tuple[float, float]:
    """(first epoch with tracing, median later epoch) of fit on 1,000 rows, batch 32."""
    keras.utils.set_random_seed(0)
    x = np.random.rand(1_000, FEATURES).astype("float32")
    y = np.random.rand(1_000, 1).astype("float32")
    timer = EpochTimes()
    make_model().fit(x, y, epochs=4, batch_size=BATCH, verbose=0, callbacks=[timer])
    return timer.times[0], statistics.median(timer.times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--skip-large-arrays", action="store_true", help="no 1e7-row in-memory arrays (320 MB)")
    args = parser.parse_args()

    first_epoch, epoch = epoch_seconds()
    model = make_model()
    # binary cross-entropy on a linear output looks wrong, so the outputs get measured (forward pass)
    suspect = make_model("binary_crossentropy")
    cases: list[tuple[str, str, callable]] = []
    for rows in SIZES:
        cases.append(("tf.data", f"{rows:.0e}", lambda rows=rows: ((pipeline(rows),), {"epochs": 1})))
    for rows in SIZES:
        if rows == SIZES[-1] and args.skip_large_arrays:
            continue
        rng = np.random.default_rng(0)
        x = rng.random((rows, FEATURES), dtype=np.float32)
        y = rng.random((rows, 1), dtype=np.float32)
        cases.append(("arrays", f"{rows:.0e}", lambda x=x, y=y: ((x, y), {"batch_size": BATCH})))
    cases.append(("generator", "infinite", lambda: ((forever(),), {"steps_per_epoch": 10})))
    for rows in SIZES[:2]:
        cases.append(("suspect", f"{rows:.0e}", lambda rows=rows: ((pipeline(rows),), {"epochs": 1})))

    print(f"one training epoch of 1,000 rows: {epoch * 1000:.0f} ms steady, {first_epoch * 1000:.0f} ms first "
          f"(with tracing)\n")
    print(f"{'data':<10} {'rows':>9} {'pre-flight':>11} {'/ epoch':>8} {'/ 1st epoch':>12}  sampled")
    timings: list[list[float]] = [[] for _ in cases]
    sampled: list[str] = [""] * len(cases)
    for _ in range(args.repeats):  # round-robin over the cases, so machine load drifts hit all alike
        for i, (kind, _, make) in enumerate(cases):
            call_args, kwargs = make()
            seconds, sampled[i] = preflight_seconds(suspect if kind == "suspect" else model, call_args, kwargs)
            timings[i].append(seconds)
    by_kind: dict[str, list[float]] = {}
    for (kind, rows, _), times, how in zip(cases, timings, sampled):
        median = statistics.median(times)
        by_kind.setdefault(kind, []).append(median)
        flag = "ok" if median / epoch <= GOAL else "OVER"
        print(f"{kind:<10} {rows:>9} {median * 1000:>9.1f}ms {median / epoch:>7.2f}x {median / first_epoch:>11.2f}x"
              f"  {how}  [{flag}]", flush=True)
    print("\n(suspect: a tf.data pipeline into a head whose loss looks wrong, so one forward pass on the first "
          "batch measures the outputs)\n")
    for kind, values in by_kind.items():
        if len(values) > 1:
            print(f"{kind}: pre-flight at the largest / the smallest size = {values[-1] / values[0]:.2f}x "
                  f"({', '.join(f'{v * 1000:.1f}' for v in values)} ms)")
    print("arrays are scanned up to 100,000 rows, so 1e5 and 1e7 rows cost the same")
    worst = max(itertools.chain.from_iterable(by_kind.values()))
    print(f"\nworst pre-flight {worst * 1000:.1f} ms = {worst / epoch:.2f}x a steady epoch "
          f"(goal <= {GOAL}x), {worst / first_epoch:.2f}x the first epoch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
