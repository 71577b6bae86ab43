"""GM002 from constructed evidence: one branch of a functional model gets no gradient, the rest does."""

from builders_gm0 import cut, probe, weightless, with_layer
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)

inputs = keras.Input((4,))
left = keras.layers.Dense(8, activation="relu", name="left")(inputs)
right = keras.layers.Dense(8, activation="relu", name="right")(inputs)
right = keras.layers.Lambda(lambda t: tf.stop_gradient(t), name="freeze_right")(right)
merged = keras.layers.Concatenate(name="merge")([left, right])
outputs = keras.layers.Dense(1, name="head")(merged)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

MODEL = model_info((dense("left", 8, inputs=4, activation="relu", line=10, inbound=["input_layer"]), 4, 8),
                   (dense("right", 8, inputs=4, activation="relu", line=11, inbound=["input_layer"]), 4, 8),
                   (dense("head", 1, inputs=16, line=14, inbound=["merge"]), 16, 1),
                   name="functional", class_name="Functional")
MODEL = with_layer(MODEL, weightless("freeze_right", "Lambda", line=12, inbound=["right"], units=8), before="head")
MODEL = with_layer(MODEL, weightless("merge", "Concatenate", line=13, inbound=["left", "freeze_right"], units=16),
                   before="head")
RIGHT = ("right/kernel", "right/bias")
REST = ("left/kernel", "left/bias", "head/kernel", "head/bias")
STOP_GRADIENT = cut("StopGradient", "functional_1/freeze_right_1/StopGradient", 12)


def fit(**probe_fields):
    return fit_evidence(line=17, model_info=MODEL, probe=probe(none=RIGHT, ok=REST, **probe_fields))


def test_one_branch_without_gradient_is_gm002_at_its_layer():
    report = check(SOURCE, fit())
    assert report.codes() == ["GM002"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("warning", 11, "right")
    assert found.evidence["layers_without_gradient"] == ["right"]
    assert found.evidence["variables_without_gradient"] == list(RIGHT)
    assert found.evidence["trainable_variables"] == 6
    assert found.message == "2 of 6 trainable variables get no gradient: layer(s) `right` will never learn"
    assert found.fixes == []  # no cause found, so no fix to borrow
    assert_snapshot("GM002", render(report))


def test_no_variable_with_a_gradient_is_gm001_not_gm002():
    every = probe(none=RIGHT + REST)
    codes = check(SOURCE, fit_evidence(line=17, model_info=MODEL, probe=every)).codes()
    assert "GM002" not in codes and "GM001" in codes


def test_every_variable_with_a_gradient_is_silent():
    assert check(SOURCE, fit_evidence(line=17, model_info=MODEL, probe=probe(ok=RIGHT + REST))).codes() == []


def test_the_cut_gm003_is_the_cause_and_lends_gm002_its_fix():
    report = check(SOURCE, fit(cuts=[STOP_GRADIENT]))
    assert report.codes() == ["GM003", "GM002"]
    cause, symptom = report.findings
    assert (symptom.caused_by, symptom.line, cause.layer) == (0, 12, "freeze_right")
    assert [fix.id for fix in symptom.fixes] == ["unwrap-op"]
    assert symptom.fixes == cause.fixes
    patched = symptom.fixes[0].patched_source.splitlines()[11]
    assert patched == 'right = keras.layers.Lambda(lambda t: t, name="freeze_right")(right)'
