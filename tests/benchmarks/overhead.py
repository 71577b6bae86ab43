"""What watching every step costs: ``fit`` time under gradmagic against plain ``fit``.

Interleaved in one process, on a small MLP and a small CNN, each round runs (in a fresh
seeded model each time, in a rotating order):

- plain ``fit``;
- plain ``fit`` with the optimizer built beforehand. gradmagic builds it before ``fit`` (the
  same zero state Keras's first ``apply`` would create), which spares Keras one of its two
  traces of the train step; this row shows how much of a difference that alone makes;
- ``fit`` under ``gradmagic.check()`` with default settings;
- ``fit`` under ``gradmagic.check()`` reading the statistics on the host after every step;
- ``fit`` with ``keras.callbacks.TensorBoard(histogram_freq=1)`` (logging to a temp dir);
- ``fit`` under ``tf.debugging.enable_check_numerics()``.

Prints the median time ratio of each to plain ``fit``, by wall clock and by process CPU time
(the CPU ratio is the steadier one on a machine shared with other work). Goal for gradmagic at default
settings: at most 1.05x on the CNN and 1.10x on the MLP.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/benchmarks/overhead.py [--rounds 5] [--epochs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gradmagic.capture.session import check  # noqa: E402


def mlp_task():
    rng = np.random.default_rng(0)
    x = rng.random((4096, 32), dtype=np.float32)
    y = (x[:, :10].argmax(axis=1)).astype("int32")

    def build():
        model = keras.Sequential([
            keras.Input((32,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    return build, x, y, 32


def cnn_task():
    rng = np.random.default_rng(0)
    x = rng.random((1024, 28, 28, 1), dtype=np.float32)
    y = (x.reshape(1024, -1)[:, :10].argmax(axis=1)).astype("int32")

    def build():
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    return build, x, y, 32


def timed_fit(mode: str, build, x, y, batch_size: int, epochs: int) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one ``fit`` (model building excluded)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build()
    callbacks = []
    started, cpu_started = time.perf_counter(), time.process_time()
    if mode == "plain":
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    elif mode == "plain-prebuilt":
        model.optimizer.build(model.trainable_variables)
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    elif mode == "gradmagic":
        with check(source="", filename="<benchmark>"):
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    elif mode == "gradmagic-every-step":
        with check(source="", filename="<benchmark>", options={"record_interval": 1}):
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    elif mode == "tensorboard":
        with tempfile.TemporaryDirectory() as logs:
            callbacks = [keras.callbacks.TensorBoard(log_dir=logs, histogram_freq=1)]
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=callbacks)
    elif mode == "check-numerics":
        tf.debugging.enable_check_numerics()
        try:
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        finally:
            tf.debugging.disable_check_numerics()
    else:
        raise ValueError(mode)
    return time.perf_counter() - started, time.process_time() - cpu_started


MODES = ["plain", "plain-prebuilt", "gradmagic", "gradmagic-every-step", "tensorboard", "check-numerics"]


def _tensorboard_installed() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args(argv)
    tasks = {"mlp": mlp_task, "cnn": cnn_task}
    modes = MODES if _tensorboard_installed() else [m for m in MODES if m != "tensorboard"]
    if len(modes) < len(MODES):
        print("tensorboard is not installed (pip install tensorboard): its column is skipped")
    for name in args.models.split(","):
        build, x, y, batch_size = tasks[name]()
        timed_fit("plain", build, x, y, batch_size, 1)  # warm-up: imports, kernels, first traces
        times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
        for round_index in range(args.rounds):
            order = modes[round_index % len(modes):] + modes[:round_index % len(modes)]
            for mode in order:
                times[mode].append(timed_fit(mode, build, x, y, batch_size, args.epochs))
        plain_wall = statistics.median(t[0] for t in times["plain"])
        plain_cpu = statistics.median(t[1] for t in times["plain"])
        steps = args.epochs * int(np.ceil(len(x) / batch_size))
        print(f"{name}: {steps} steps per fit, {args.rounds} rounds; plain fit median {plain_wall:.3f} s wall, "
              f"{plain_cpu:.3f} s CPU")
        for mode in modes:
            wall = statistics.median(t[0] for t in times[mode])
            cpu = statistics.median(t[1] for t in times[mode])
            print(f"  {mode:22s} wall {wall:7.3f} s  ratio {wall / plain_wall:5.2f}x   "
                  f"CPU {cpu:7.3f} s  ratio {cpu / plain_cpu:5.2f}x")
        prebuilt = statistics.median(t[1] for t in times["plain-prebuilt"])
        for mode in ("gradmagic", "gradmagic-every-step"):
            cpu = statistics.median(t[1] for t in times[mode])
            print(f"  {mode} against plain-prebuilt: CPU ratio {cpu / prebuilt:5.2f}x")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
