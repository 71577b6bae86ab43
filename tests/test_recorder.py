"""The training-dynamics recorder: transparent, bounded, live, and the same in every Keras mode."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import PROGRAMS, check_source, run_plain, weights_of

from gradmagic.pipeline.session import check
from gradmagic.evidence.facts.history import BucketHistory
from gradmagic.report.model import Report

HEALTHY = sorted(path.stem for path in (PROGRAMS / "healthy").glob("*.py"))

TEMPLATE = '''
import numpy as np, keras, tensorflow as tf
keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
{pre}
x = np.random.rand(64, 4).astype("float32")
y = (x[:, :1] > 0.5).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy"{compile})
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0{fit})
'''


def _history(run) -> dict:
    assert run.error is None, repr(run.error)
    return run.report.history["fits"][0]


def _series(history: dict, name: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in history["series"][name]["mean"]], np.float64)


@pytest.mark.parametrize("name", HEALTHY)
def test_no_training_dynamics_warning_on_healthy_programs(name):
    run = check_source((PROGRAMS / "healthy" / f"{name}.py").read_text(), str(PROGRAMS / "healthy" / f"{name}.py"))
    serious = [(f.code, f.message) for f in run.report.findings
               if f.code.startswith("GM3") and f.severity in ("warning", "error")]
    assert serious == []
    assert not any("recorder" in notice or "in-graph" in notice for notice in run.report.notices), run.report.notices


@pytest.fixture(scope="module")
def reference():
    return _history(check_source(TEMPLATE.format(pre="", compile="", fit=""), "/tmp/gm_recorder_reference.py"))


@pytest.mark.parametrize("mode,pre,compile_args,fit_args", [
    ("steps_per_execution", "", ", steps_per_execution=3", ""),
    ("jit_compile", "", ", jit_compile=True", ""),
    ("run_eagerly", "", ", run_eagerly=True", ""),
    ("every_step_reads", "", "", ""),
])
def test_statistics_are_the_same_in_every_mode(reference, mode, pre, compile_args, fit_args):
    source = TEMPLATE.format(pre=pre, compile=compile_args, fit=fit_args)
    if mode == "every_step_reads":
        session = check(source, "/tmp/gm_recorder_mode.py", options={"record_interval": 1})
        keras.backend.clear_session()
        with session as report:
            exec(compile(source, "/tmp/gm_recorder_mode.py", "exec"), {"__name__": "__main__"})
        history = report.history["fits"][0]
    else:
        history = _history(check_source(source, f"/tmp/gm_recorder_{mode}.py"))
    assert history["steps"] == reference["steps"] == 8
    for name in ("loss", "grad_norm", "update_ratio", "grad_norm/dense", "zero_fraction/dense"):
        np.testing.assert_allclose(_series(history, name), _series(reference, name), rtol=1e-5, err_msg=name)


def test_mixed_precision_unscales_the_loss_and_gradients(reference):
    pre = "keras.mixed_precision.set_global_policy('mixed_float16')"
    try:
        history = _history(check_source(TEMPLATE.format(pre=pre, compile="", fit=""), "/tmp/gm_recorder_mixed.py"))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert history["optimizer"]["loss_scale"] is True
    assert history["series"]["loss_scale"]["mean"][0] == 32768.0
    np.testing.assert_allclose(_series(history, "loss"), _series(reference, "loss"), rtol=1e-2)
    np.testing.assert_allclose(_series(history, "grad_norm"), _series(reference, "grad_norm"), rtol=2e-2)


def test_custom_train_step_loss_comes_from_the_tape():
    run = check_source((PROGRAMS / "healthy" / "custom_train_step.py").read_text(), "/tmp/gm_custom_step.py")
    history = _history(run)
    assert history["steps"] == 8
    loss = _series(history, "loss")
    assert np.isfinite(loss).all() and loss.min() > 0
    assert history["layers"] == ["dense", "dense_1"]


def test_weights_and_optimizer_state_are_bitwise_identical_with_and_without_the_recorder():
    for name in ("mlp", "cnn"):
        path = PROGRAMS / "healthy" / f"{name}.py"
        plain = run_plain(path.read_text(), str(path))
        plain_state = [np.array(v) for v in plain["model"].optimizer.variables]
        checked = check_source(path.read_text(), str(path))
        assert checked.report.history["fits"][0]["steps"] == 8
        for before, after in zip(weights_of(plain), weights_of(checked.namespace), strict=True):
            np.testing.assert_array_equal(before, after)
        for before, after in zip(plain_state, checked.namespace["model"].optimizer.variables, strict=True):
            np.testing.assert_array_equal(before, np.array(after))
        model = checked.namespace["model"]
        assert "apply" not in vars(model.optimizer)  # the wrapper is gone
        assert model.train_function.__gradmagic_traced__  # kept, as Keras keeps its own


MIRRORED = r'''
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, sys.argv[1])
from helpers import check_source, run_plain, weights_of
SOURCE = """
import numpy as np, keras, tensorflow as tf
keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
x = np.random.rand(64, 4).astype("float32")
y = (x[:, :1] > 0.5).astype("float32")
{scope}
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
"""
mirrored = SOURCE.format(scope="strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])\nwith strategy.scope():")
single = SOURCE.format(scope="if True:")
plain = run_plain(mirrored, "/tmp/gm_mirrored.py")
checked = check_source(mirrored, "/tmp/gm_mirrored.py")
alone = check_source(single, "/tmp/gm_single.py")
same = all(np.array_equal(a, b) for a, b in zip(weights_of(plain), weights_of(checked.namespace), strict=True))
def series(run, name):
    return run.report.history["fits"][0]["series"][name]["mean"]
print(json.dumps({"same_weights": same, "error": repr(checked.error), "replicas": 2,
                  "steps": checked.report.history["fits"][0]["steps"],
                  "mirrored": {n: series(checked, n) for n in ("loss", "grad_norm", "grad_norm/dense")},
                  "single": {n: series(alone, n) for n in ("loss", "grad_norm", "grad_norm/dense")}}))
'''


def test_mirrored_strategy_on_two_cpus_is_transparent_and_aggregates_replicas(tmp_path):
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED)
    tests = Path(__file__).parent
    done = subprocess.run([sys.executable, str(script), str(tests)], capture_output=True, text=True, timeout=300,
                          cwd=tests.parent, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] == "None"
    assert result["same_weights"] is True
    assert result["steps"] == 8
    for name in ("loss", "grad_norm", "grad_norm/dense"):
        # the gradient the optimizer applies is the sum over both replicas: the single-device one
        np.testing.assert_allclose(result["mirrored"][name], result["single"][name], rtol=1e-5, err_msg=name)


INTERRUPTED = '''
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x[:, :1] > 0.5).astype("float32")


class Stop(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 5:
            raise KeyboardInterrupt


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[Stop()])
'''


def test_keyboard_interrupt_keeps_the_history_recorded_so_far():
    run = check_source(INTERRUPTED, "/tmp/gm_interrupted.py")
    assert isinstance(run.error, KeyboardInterrupt)
    assert run.report.fits[0].status == "interrupted"
    history = run.report.history["fits"][0]
    assert history["steps"] == 6
    assert len(history["series"]["loss"]["mean"]) == 6
    assert all(value is not None for value in history["series"]["grad_norm"]["mean"])
    model = run.namespace["model"]
    assert "apply" not in vars(model.optimizer)


def test_a_failing_recorder_leaves_training_alone_and_says_so(monkeypatch):
    from gradmagic.evidence import recorder_graph

    def broken(*args, **kwargs):
        raise RuntimeError("statistics exploded")

    monkeypatch.setattr(recorder_graph, "_step_row", broken)
    path = PROGRAMS / "healthy" / "mlp.py"
    plain = run_plain(path.read_text(), str(path))
    checked = check_source(path.read_text(), str(path))
    assert checked.error is None and checked.report.fits[0].status == "completed"
    assert any("in-graph statistics failed (RuntimeError: statistics exploded)" in n for n in checked.report.notices)
    for before, after in zip(weights_of(plain), weights_of(checked.namespace), strict=True):
        np.testing.assert_array_equal(before, after)


def test_a_recorder_that_cannot_start_is_a_notice():
    source = TEMPLATE.format(pre="", compile="", fit="")
    keras.backend.clear_session()
    session = check(source, "/tmp/gm_no_recorder.py", options={"record_buckets": 3})
    with session as report:
        exec(compile(source, "/tmp/gm_no_recorder.py", "exec"), {"__name__": "__main__"})
    assert report.fits[0].status == "completed"
    assert any(n.startswith("the training recorder could not start (ValueError") for n in report.notices)


def test_live_events_per_epoch_and_within_epochs():
    source = TEMPLATE.format(pre="", compile="", fit="")
    events = []
    keras.backend.clear_session()
    session = check(source, "/tmp/gm_live.py", options={"record_live_seconds": 1e-9})
    session.listeners.append(lambda event, payload: events.append((event, payload)))
    with session:
        exec(compile(source, "/tmp/gm_live.py", "exec"), {"__name__": "__main__"})
    epochs = [payload for event, payload in events if event == "epoch"]
    progress = [payload for event, payload in events if event == "progress"]
    assert [p["epoch"] for p in epochs] == [0, 1]
    assert [p["step"] for p in epochs] == [4, 8]
    assert progress and all(0 < p["step"] <= 8 for p in progress)
    json.dumps([payload for _, payload in events if isinstance(payload, dict)])  # plain JSON for views
    assert events[-1][0] == "fit_end"


def test_history_travels_in_the_report_json():
    run = check_source(TEMPLATE.format(pre="", compile="", fit=""), "/tmp/gm_json.py")
    text = run.report.to_json()
    assert "NaN" not in text and "Infinity" not in text
    again = Report.from_json(text)
    fit = again.history["fits"][0]
    assert fit["fit"] == 0 and fit["steps"] == 8 and fit["resolution"] == 1
    assert fit["epoch_ends"] == [4, 8]
    assert [a["step"] for a in fit["activations"]] == [0, 4, 8]
    assert set(fit["series"]) >= {"loss", "grad_norm", "update_ratio", "grad_norm/dense", "update_ratio/dense_1"}


def test_bucket_history_stays_bounded_and_exact_where_it_matters():
    history = BucketHistory(["a", "b"], buckets=64)
    rng = np.random.default_rng(0)
    values = rng.random((10_000, 2))
    values[7_345, 1] = np.nan
    size = history.nbytes()
    for start in range(0, 10_000, 137):
        history.add(start + 1, values[start:start + 137])
    assert history.nbytes() == size
    assert history.used <= 64 and history.width == 256
    assert history.steps == 10_000
    assert history.first_nonfinite == {"b": 7_346}
    data = history.series("a")
    assert data["count"].sum() == 10_000
    np.testing.assert_allclose(data["min"].min(), values[:, 0].min())
    np.testing.assert_allclose(data["max"].max(), values[:, 0].max())
    np.testing.assert_allclose((data["mean"] * data["count"]).sum() / 10_000, values[:, 0].mean())
    assert history.series("b")["nonfinite"].sum() == 1
    coarse = history.to_dict(points=16)
    assert len(coarse["series"]["a"]["mean"]) <= 16


def test_keras_adapter_seams_the_recorder_uses():
    import tensorflow as tf

    from gradmagic.core import keras_adapter

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    optimizer = model.optimizer
    calls = []
    undo = keras_adapter.wrap_instance_method(optimizer, "apply", lambda original: lambda *a, **k: calls.append(1))
    optimizer.apply_gradients([(tf.zeros((3, 2)), model.trainable_variables[0])])  # Keras routes through apply
    assert calls == [1]
    undo()
    assert "apply" not in vars(optimizer)

    targets = []
    undo = keras_adapter.wrap_tape_gradient(targets.append)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(tf.ones((1, 3))))
    tape.gradient(loss, model.trainable_variables)
    undo()
    assert targets == [loss] and "gradient" in vars(tf.GradientTape)

    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    traced = model.train_function
    undo = keras_adapter.swap_train_function(model)
    assert model.train_function is None
    undo()
    assert model.train_function is traced  # the user's own trace comes back

    assert keras_adapter.is_loss_scale_optimizer(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()))
    zeros = [tf.zeros_like(v) for v in model.trainable_variables]
    out = keras_adapter.stateless_forward(model, zeros, tf.ones((1, 3)))
    np.testing.assert_array_equal(np.asarray(out), np.zeros((1, 2)))
    assert np.abs(np.asarray(model.trainable_variables[0])).sum() > 0  # the model's own weights untouched


def test_keras_adapter_seams_for_every_optimizer():
    """``apply`` of every optimizer class, however it is reached; building as the first apply would."""
    import tensorflow as tf

    from gradmagic.core import keras_adapter

    keras.utils.set_random_seed(0)
    variable = keras.Variable(np.ones((2, 2), "float32"))
    seen = []

    def make(original):
        def apply(optimizer, grads, trainable_variables=None, *args, **kwargs):
            seen.append(type(optimizer).__name__)
            return original(optimizer, grads, trainable_variables, *args, **kwargs)
        return apply

    class Custom(keras.optimizers.SGD):  # a user subclass with its own apply, calling super()
        def apply(self, grads, trainable_variables=None):
            return super().apply(grads, trainable_variables)

    undo = keras_adapter.wrap_optimizer_apply(make)
    try:
        keras.optimizers.Adam().apply_gradients([(tf.ones((2, 2)), variable)])
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()).apply([tf.ones((2, 2))], [variable])
        Custom().apply([tf.ones((2, 2))], [variable])
    finally:
        undo()
    # the LossScaleOptimizer applies through its inner SGD, the subclass through BaseOptimizer.apply
    assert seen == ["Adam", "LossScaleOptimizer", "SGD", "Custom", "Custom"]
    base = next(cls for cls in keras.optimizers.Optimizer.__mro__ if "apply" in vars(cls))
    assert not any(hasattr(vars(cls)["apply"], "__wrapped__") for cls in (base, keras.optimizers.LossScaleOptimizer,
                                                                          Custom))

    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    keras_adapter.build_as_apply_would(optimizer, [variable])
    assert optimizer.built and float(np.asarray(optimizer.dynamic_scale)) == 2.0 ** 15
    assert keras_adapter.optimizer_variables(optimizer) == [variable]
    built_by_apply = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    built_by_apply.apply([tf.zeros((2, 2))], [variable])
    assert [(v.name, tuple(v.shape)) for v in optimizer.variables] == [
        (v.name, tuple(v.shape)) for v in built_by_apply.variables]


def test_a_stale_train_function_is_left_alone():
    """Unfreezing without compile: Keras reuses the first trace, and so must gradmagic (GM009)."""
    path = PROGRAMS / "broken" / "gm009_unfreeze_without_recompile.py"
    plain = run_plain(path.read_text(), str(path))
    checked = check_source(path.read_text(), str(path))
    for before, after in zip(weights_of(plain), weights_of(checked.namespace), strict=True):
        np.testing.assert_array_equal(before, after)
    fits = checked.report.history["fits"]
    assert fits[0]["steps"] == 4 and fits[1]["steps"] == 0
    assert any("reuses a train function" in notice for notice in checked.report.notices)


REFIT = """
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 3).astype("float32"); y = np.random.rand(64, 1).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
functions = []
for _ in range(3):
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    functions.append(model.train_function)
"""


def test_fits_in_a_loop_reuse_one_instrumented_train_function():
    """As Keras does: one trace for every fit of the same model and weights; each fit counts its own steps."""
    plain = run_plain(REFIT, "/tmp/gm_refit.py")
    run = check_source(REFIT, "/tmp/gm_refit.py")
    assert len({id(function) for function in plain["functions"]}) == 1
    assert len({id(function) for function in run.namespace["functions"]}) == 1
    assert [entry["steps"] for entry in run.report.history["fits"]] == [4, 4, 4]
    for before, after in zip(weights_of(plain), weights_of(run.namespace), strict=True):
        np.testing.assert_array_equal(before, after)
