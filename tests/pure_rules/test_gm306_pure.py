"""GM306 from constructed evidence: connected gradients that are exactly 0."""

from dataclasses import replace

from builders_recording import (
    model_output,
    output_head,
    recording,
    shot,
    squashed_output,
)
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.evidence.facts.preflight import Preflight
from gradmagic.evidence.facts.probe import GradientCut, ProbeResult

ZERO_INIT = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 8).astype("float32")
y = (x.sum(axis=1) > 4).astype("float32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation="tanh", kernel_initializer="zeros"),
    keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

SIGN_LAYER = """import numpy as np
import tensorflow as tf
import keras


class Binarize(keras.layers.Layer):
    def call(self, inputs):
        return tf.sign(inputs)


pixels = np.random.uniform(-1.0, 1.0, size=(192, 16)).astype("float32")
target = (pixels[:, :8].sum(axis=1) > 0).astype("float32")

binary_net = keras.Sequential([
    keras.Input((16,)),
    keras.layers.Dense(20),
    Binarize(),
    keras.layers.Dense(1, activation="sigmoid"),
])
binary_net.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
history = binary_net.fit(pixels, target, epochs=4, batch_size=16, verbose=0)
"""

TANH = model_info((dense("dense", 16, inputs=8, activation="tanh", line=10), 8, 16),
                  (dense("dense_1", 1, inputs=16, activation="sigmoid", line=11), 16, 1))
FLAT_LOSS = [0.6931, 0.6931, 0.693, 0.6933, 0.6929, 0.6929, 0.6929, 0.6935]


def zero_init(zero_fraction: float = 1.0, preflight: Preflight | None = None):
    """Zero kernels with tanh: nothing flows back, every kernel gradient is exactly 0; the updates
    against zero weights have no ratio."""
    hidden = squashed_output("dense", "tanh", 16, 0.0, 0, mean_abs=0.0)
    shots = [shot(step, hidden, model_output("dense_1", "sigmoid", 1)) for step in (0, 4, 8)]
    rec = recording(TANH, loss=FLAT_LOSS, activations=shots, totals={"zero_fraction": zero_fraction}, layers={
        "dense": {"grad_norm": 0.0, "zero_fraction": zero_fraction, "zero_grad_units": 1.0},
        "dense_1": {"grad_norm": [0.0625, 0.0623, 0.062, 0.0632, 0.0616, 0.0615, 0.0613, 0.0638],
                    "zero_fraction": zero_fraction}})
    return fit_evidence(line=14, model_info=TANH, recording=rec, preflight=preflight)


def test_zero_initialised_mlp_only_learns_its_output_bias():
    report = check(ZERO_INIT, zero_init())
    assert report.codes() == ["GM306"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 10, "dense", 1)
    assert found.evidence["zero_fraction"] == 1.0 and found.evidence["silent_layers"] == ["dense", "dense_1"]
    assert found.evidence["layer_zero_fractions"] == {"dense": 1.0, "dense_1": 1.0}
    assert found.message == ("100 % of the kernel gradient entries are exactly 0 at every step: `dense`, `dense_1` "
                             "never change")
    patched = found.fixes[0].patched_source.splitlines()
    assert patched[9:11] == ['    keras.layers.Dense(16, activation="tanh", kernel_initializer="glorot_uniform"),',
                             '    keras.layers.Dense(1, activation="sigmoid", kernel_initializer="glorot_uniform"),']
    assert_snapshot("GM306", render(report))


def test_89_percent_zero_entries_are_not_gm306():
    assert "GM306" not in check(ZERO_INIT, zero_init(zero_fraction=0.89)).codes()
    assert "GM306" in check(ZERO_INIT, zero_init(zero_fraction=0.9)).codes()


def test_a_softmax_over_one_unit_supersedes_gm306():
    head = output_head("binary_crossentropy", "binary", activation="softmax", target_kind="binary")
    codes = check(ZERO_INIT, zero_init(preflight=Preflight(outputs=[head]))).codes()
    assert "GM103" in codes and "GM306" not in codes


def test_tf_sign_zeroes_the_gradient_of_every_layer_before_it():
    layers = model_info((dense("dense", 20, inputs=16, line=16), 16, 20),
                        (dense("dense_1", 1, inputs=20, activation="sigmoid", line=18), 20, 1))
    binarize = LayerInfo(name="binarize", class_name="Binarize", trainable=True, activation=None, inbound=["dense"],
                         parent=None, output_shape="(None, 20)", params=0, line=17,
                         class_chain=("Binarize", "Layer", "Operation"))
    sign_net = replace(layers, layers=[layers.layers[0], binarize, layers.layers[1]])
    sign = GradientCut(op_type="Sign", op_name="sequential/binarize_1/Sign", line=8,
                       layer_scope="sequential/binarize_1", reason="zero-gradient", input_dtype="float32",
                       output_dtype="float32")
    rec = recording(sign_net, epochs=4, loss=[0.69, 0.68, 0.66, 0.65] * 12 + [0.64] * 16, layers={
        "dense": {"grad_norm": 0.0, "zero_fraction": 1.0, "update_ratio": 0.0},
        "dense_1": {"grad_norm": 0.3, "zero_fraction": 0.0, "update_ratio": 4e-3}})
    fit = fit_evidence(line=21, model_info=sign_net, recording=rec,
                       probe=ProbeResult(mode="compile", zeroing=[sign]))
    found = check(SIGN_LAYER, fit).by_code("GM306")[0]
    assert (found.line, found.layer, found.evidence["op"], found.evidence["silent_layers"]) == (
        8, "binarize", "Sign", ["dense"])
    assert found.message.startswith("`tf.sign` has a zero gradient everywhere, so 94 % of the kernel gradient")
    assert [fix.id for fix in found.fixes] == ["straight-through"]
    assert found.fixes[0].patched_source.splitlines()[7] == (
        "        return (inputs + tf.stop_gradient(tf.sign(inputs) - inputs))")
