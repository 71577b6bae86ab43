"""GM001 from constructed evidence: every trainable variable got no gradient from the probe."""

from evidence_builder import check, fit_evidence, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.probe import GradientCut, ProbeResult, VariableGradient

SOURCE = """import keras
import tensorflow as tf

def accuracy_loss(y_true, y_pred):
    return tf.cast(tf.argmax(y_pred, -1), "float32")

model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.fit(x, y)
"""

NO_GRADIENT = ProbeResult(
    mode="compile",
    gradients=[VariableGradient(path, "none") for path in
               ("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias")],
    cuts=[GradientCut(op_type="ArgMax", op_name="compile_loss/accuracy_loss/ArgMax", line=5,
                      layer_scope="compile_loss/accuracy_loss", reason="integer output",
                      input_dtype="float32", output_dtype="int64")],
)


def test_no_gradient_anywhere_is_gm001_caused_by_the_cut_gm003():
    report = check(SOURCE, fit_evidence(probe=NO_GRADIENT, status="failed"))
    assert report.codes() == ["GM003", "GM001"]
    cause, symptom = report.findings
    assert (cause.line, symptom.caused_by) == (5, 0)
    assert_snapshot("GM001", render(report))


def test_a_gradient_on_one_variable_is_not_gm001():
    gradients = [*NO_GRADIENT.gradients[:3], VariableGradient("dense_1/bias", "ok", norm=0.5)]
    probe = ProbeResult(mode="compile", gradients=gradients)
    assert "GM001" not in check(SOURCE, fit_evidence(probe=probe)).codes()
