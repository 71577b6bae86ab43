"""GM004 from constructed evidence: NumPy in a compiled loss, where the traced tensors are symbolic."""

from builders_gm0 import NO_GRADIENTS, cut, failed, function_loss, prefixed, probe
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.probe import LeftTensorFlow

HEADER = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]])).astype("float32")


def squared_error(y_true, y_pred):
"""
FOOTER = """

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss=squared_error)
model.fit(x, y, epochs=2, verbose=0)
"""
NUMPY_MEAN = HEADER + "    return np.mean(np.square(y_true - y_pred))\n" + FOOTER
NUMPY_FUNCTION = HEADER + ("    squared = tf.numpy_function(np.square, [y_true - y_pred], tf.float32)\n"
                           "    return tf.reduce_mean(tf.ensure_shape(squared, [None, 1]))\n") + FOOTER

MODEL = prefixed(model_info((dense("dense", 8, inputs=4, activation="relu", line=16), 4, 8),
                            (dense("dense_1", 1, inputs=8, line=17), 8, 1)), "sequential")
VARIABLES = tuple(v.path for v in MODEL.variables)
SYMBOLIC = ("Cannot convert a symbolic tf.Tensor (compile_loss/squared_error/sub:0) to a numpy array. This error may "
            "indicate that you're trying to pass a Tensor to a NumPy call, which is not supported.")
PY_FUNC = cut("PyFunc", "compile_loss/squared_error/PyFunc", 11, reason="leaves-tensorflow")


def evidence(**overrides):
    return fit_evidence(line=20, model_info=MODEL, loss=function_loss("squared_error", 10), **overrides)


def test_numpy_mean_in_the_loss_is_gm004_with_a_keras_ops_fix():
    report = check(NUMPY_MEAN, evidence(**failed("NotImplementedError", SYMBOLIC, 11, in_probe=True)))
    assert report.codes() == ["GM004"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 11, None)
    assert (found.evidence["construct"], found.evidence["function"], found.evidence["where"]) == \
        ("np.mean", "squared_error", "loss")
    assert found.evidence["exception_type"] == "NotImplementedError"
    assert found.message.startswith("`np.mean` gets a symbolic tensor while Keras traces `squared_error`")
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("keep-in-tensorflow", "safe")]
    assert found.fixes[0].patched_source.splitlines()[10] == \
        "    return keras.ops.mean(keras.ops.square(y_true - y_pred))"
    assert_snapshot("GM004", render(report))


def test_numpy_function_that_every_variable_gets_around_is_silent():
    # e.g. a NumPy function of the targets only: the weights still get their gradient
    fit = evidence(probe=probe(ok=VARIABLES, cuts=[PY_FUNC],
                               left_tensorflow=[LeftTensorFlow("numpy_function", 11, "square")]))
    assert check(NUMPY_FUNCTION, fit).codes() == []


def test_an_unrelated_error_of_the_same_type_is_silent():
    fit = evidence(**failed("NotImplementedError", "Cannot convert a ragged tensor to dense", 11, in_probe=True))
    assert "GM004" not in check(NUMPY_MEAN, fit).codes()


def test_numpy_function_in_the_loss_causes_gm001():
    cut_probe = probe(none=VARIABLES, cuts=[PY_FUNC], loss=1.3978,
                      left_tensorflow=[LeftTensorFlow("numpy_function", 11, "square")])
    report = check(NUMPY_FUNCTION, evidence(probe=cut_probe, **failed("ValueError", NO_GRADIENTS)))
    assert report.codes() == ["GM004", "GM001"]
    cause, symptom = report.findings
    assert (cause.evidence["wrapped"], cause.evidence["variables_without_gradient"]) == ("square", 4)
    assert symptom.caused_by == 0
    assert [fix.id for fix in symptom.fixes] == ["unwrap-numpy-function"]
    assert cause.fixes[0].patched_source.splitlines()[10] == "    squared = keras.ops.square(y_true - y_pred)"
