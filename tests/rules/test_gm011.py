"""GM011 loss-ignores-prediction: a loss computed from the targets only, a constant, or y_pred's shape only."""

import pytest
from helpers import assert_fix_verified, check_source, only
from preflight_support import assert_trains, check_broken, finding


def _cause_of_no_gradients(run):
    report = run.report
    cause = only(report, "GM011")
    symptom = only(report, "GM001")
    assert symptom.caused_by == report.findings.index(cause)
    assert "GM003" not in report.codes() and "GM004" not in report.codes() and "GM008" not in report.codes()
    return cause


def test_loss_built_from_y_true_only():
    run = check_broken("gm011_loss_from_targets_only")
    found = finding(run, "GM011", "error", line=11)  # the `return` of centred_mse
    assert found.layer is None
    ev = found.evidence
    assert (ev["loss"], ev["outputs"], ev["outputs_read_by_loss"]) == ("centred_mse", 1, 0)
    assert ev["variables_without_gradient"] == ev["trainable_variables"] == 4
    assert ev["prediction_uses"] == []
    first_batch = run.namespace["y"][:32]  # the probe's step runs on fit's first batch
    assert ev["loss_value"] == pytest.approx(float(((first_batch - first_batch.mean()) ** 2).mean()), rel=1e-4)
    assert "never reads `y_pred`" in found.notes[0]
    assert run.report.fits[0].status == "failed"
    _cause_of_no_gradients(run)
    assert found.fixes[0].id == "builtin-loss"
    assert 'model.compile(optimizer="adam", loss="mse")' in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM011")
    assert patched.report.codes() == [], patched.report.codes()
    assert_trains(patched)


def test_constant_loss_in_a_functional_classifier():
    run = check_broken("gm011_constant_loss")
    found = finding(run, "GM011", "error", line=16)  # return tf.constant(1.0)
    assert found.evidence["loss"] == "placeholder_loss" and found.evidence["loss_value"] == 1.0
    _cause_of_no_gradients(run)
    assert 'loss="sparse_categorical_crossentropy"' in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM011")
    assert "GM001" not in patched.report.codes()
    assert_trains(patched)


def test_loss_object_reading_y_pred_only_through_its_shape():
    run = check_broken("gm011_prediction_only_shape")
    found = finding(run, "GM011", "error", line=13)  # the return of BatchMeanLoss.call
    assert found.evidence["loss"] == "BatchMeanLoss"
    assert found.evidence["prediction_uses"] == ["tf.shape"]
    assert "`tf.shape`" in found.notes[0]
    _cause_of_no_gradients(run)
    assert 'loss="binary_crossentropy"' in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM011")
    assert_trains(patched)


LAMBDA_LOSS = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(3)
x = np.random.rand(40, 2).astype("float32")
y = x[:, :1] * 2.0
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss=lambda y_true, y_pred: tf.reduce_mean(tf.abs(y_true)))
history = model.fit(x, y, epochs=2, verbose=0)
"""


def test_lambda_loss_points_at_the_compile_line():
    run = check_source(LAMBDA_LOSS, "/tmp/gm011_lambda.py")
    found = finding(run, "GM011", "error", line=9)
    assert found.evidence["loss"] == "lambda"
    assert 'loss="mse"' in found.fixes[0].patched_source


HEALTHY = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 3).astype("float32")
y = (x @ np.array([[1.0], [2.0], [-1.0]])).astype("float32")


def my_mse(y_true, y_pred):
    batch = tf.cast(tf.shape(y_pred)[0], tf.float32)
    return tf.reduce_sum(tf.square(y_true - y_pred)) / batch


model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss=my_mse)
history = model.fit(x, y, epochs=2, verbose=0)
"""

HEALTHY_SOFTMAX = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 3).astype("float32")
y = np.random.randint(0, 3, size=(64,))
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(x, y, epochs=2, verbose=0)
"""


def test_a_normal_custom_loss_and_a_softmax_cross_entropy_do_not_fire():
    # Keras's cross-entropy reads the logits behind the softmax op, not its output: still a value path
    for name, source in (("custom", HEALTHY), ("softmax", HEALTHY_SOFTMAX)):
        run = check_source(source, f"/tmp/gm011_healthy_{name}.py")
        assert run.error is None
        assert "GM011" not in run.report.codes() and "GM001" not in run.report.codes(), run.report.codes()


def test_a_cut_by_argmax_is_gm003_not_gm011():
    run = check_broken("gm003_argmax_loss")
    assert "GM003" in run.report.codes() and "GM011" not in run.report.codes()
