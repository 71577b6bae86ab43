"""GM003 from constructed evidence: `tf.round` in a custom layer cuts the gradient to the layers before it."""

from builders_gm0 import cut, prefixed, probe, weightless, with_layer
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.compiled import LossEntry, LossSetup

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)


class Quantize(keras.layers.Layer):
    def call(self, inputs):
        return tf.round(inputs * 4.0) / 4.0


model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu", name="encoder"),
    Quantize(name="quantize"),
    keras.layers.Dense(1, name="head"),
])
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

MODEL = prefixed(model_info((dense("encoder", 8, inputs=4, activation="relu", line=17), 4, 8),
                            (dense("head", 1, inputs=8, line=19, inbound=["quantize"]), 8, 1)), "sequential")
MODEL = with_layer(MODEL, weightless("quantize", "Quantize", line=18, inbound=["encoder"], units=8), before="head")
ENCODER = ("sequential/encoder/kernel", "sequential/encoder/bias")
HEAD = ("sequential/head/kernel", "sequential/head/bias")
ROUND = cut("Round", "sequential_1/quantize_1/Round", 12)


def test_round_in_a_layer_is_gm003_with_a_straight_through_fix():
    report = check(SOURCE, fit_evidence(line=22, model_info=MODEL, probe=probe(none=ENCODER, ok=HEAD, cuts=[ROUND])))
    assert report.codes() == ["GM003", "GM002"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 12, "quantize")
    assert found.evidence == {"op": "Round", "op_name": "sequential_1/quantize_1/Round", "input_dtype": "float32",
                              "output_dtype": "float32", "reason": "no-gradient", "fits": [0]}
    assert found.message == "`tf.round` cuts the gradient between the weights and the loss"
    assert found.span == [15, 37]  # `tf.round(inputs * 4.0)`
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("straight-through", "review"), ("unwrap-op", "review")]
    straight, unwrapped = (fix.patched_source.splitlines()[11] for fix in found.fixes)
    assert straight == ("        return ((inputs * 4.0) + tf.stop_gradient(tf.round(inputs * 4.0) - (inputs * 4.0)))"
                        " / 4.0")
    assert unwrapped == "        return (inputs * 4.0) / 4.0"
    assert report.findings[1].caused_by == 0  # GM002: the encoder behind the cut
    assert_snapshot("GM003", render(report))


def test_a_cut_that_every_variable_gets_around_is_silent():
    # the probe saw the op, but every weight still has a gradient (another path reaches the loss)
    fit = fit_evidence(line=22, model_info=MODEL, probe=probe(ok=ENCODER + HEAD, cuts=[ROUND]))
    assert check(SOURCE, fit).codes() == []


METRIC_SOURCE = """import keras

model = keras.Sequential([keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1)])
model.compile(
    optimizer="adam",
    loss=keras.metrics.MeanAbsoluteError(),
)
history = model.fit(area, rent, batch_size=24, epochs=2, verbose=0)
"""


def test_a_metric_object_as_the_loss_is_replaced_by_the_loss_class_of_its_name():
    metric = LossEntry(key=None, given=True, name="MeanAbsoluteError", class_name="MeanAbsoluteError",
                       module="keras.src.metrics.regression_metrics", is_metric=True, metric_like=True,
                       loss_class_of_same_name=True)
    loss = LossSetup(structure="single", type_name="MeanAbsoluteError", entries=(metric,))
    report = check(METRIC_SOURCE, fit_evidence(line=8, loss=loss))
    found = report.by_code("GM003")[0]
    assert (found.line, found.evidence) == (6, {"metric": "MeanAbsoluteError", "fits": [0]})
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("metric-to-loss", "safe")]
    assert found.fixes[0].patched_source.splitlines()[5] == "    loss=keras.losses.MeanAbsoluteError(),"
