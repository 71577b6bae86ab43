"""GM304 from constructed evidence: most units of a ReLU layer output 0 for every sample."""

from builders_recording import model_output, optimizer, recording, relu_output, shot
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

NEGATIVE_BIAS = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 8).astype("float32")
y = (x.sum(axis=1) > 4).astype("float32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(32, activation="relu", bias_initializer=keras.initializers.Constant(-5.0)),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

LR_KILLS = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 8).astype("float32")
y = (x.sum(axis=1) > 4).astype("int32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1.0), loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

ONE_HIDDEN = model_info((dense("dense", 32, inputs=8, activation="relu", line=10), 8, 32),
                        (dense("dense_1", 1, inputs=32, activation="sigmoid", line=11), 32, 1))
TWO_HIDDEN = model_info((dense("dense", 32, inputs=8, activation="relu", line=10), 8, 32),
                        (dense("dense_1", 32, inputs=32, activation="relu", line=11), 32, 32),
                        (dense("dense_2", 2, inputs=32, activation="softmax", line=12), 32, 2))
FLAT_LOSS = [0.6931, 0.6931, 0.693, 0.6933, 0.6929, 0.6929, 0.6929, 0.6935]


def negative_bias(dead_units: int = 32):
    """Every unit of `dense` is below 0 from the start: its kernel and the output's get gradients of exactly 0."""
    dead = dead_units / 32
    shots = [shot(step, relu_output("dense", 32, dead_units), model_output("dense_1", "sigmoid", 1))
             for step in (0, 4, 8)]
    rec = recording(ONE_HIDDEN, loss=FLAT_LOSS, activations=shots, layers={
        "dense": {"grad_norm": 0.0 if dead == 1 else 0.02, "update_ratio": 0.0 if dead == 1 else 1e-3,
                  "zero_fraction": dead, "zero_grad_units": dead},
        "dense_1": {"grad_norm": 0.0625, "update_ratio": 0.0 if dead == 1 else 1e-3, "zero_fraction": dead}})
    return fit_evidence(line=14, model_info=ONE_HIDDEN, recording=rec)


def test_negative_bias_kills_every_unit_from_the_start():
    report = check(NEGATIVE_BIAS, negative_bias())
    assert report.codes() == ["GM304"]  # not GM306: the dead layer explains the zero gradients
    found = report.findings[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 10, "dense", 1)
    evidence = found.evidence
    assert (evidence["dead_units"], evidence["units"], evidence["dead_fraction"]) == (32, 32, 1.0)
    assert evidence["initial_dead_fraction"] == 1.0 and evidence["zero_gradient_fraction"] == 1.0
    assert found.message == "32 of 32 units of `dense` (100 %) output 0 for every sample: they are dead and cannot learn"
    assert [fix.id for fix in found.fixes] == ["leaky-relu"]
    assert found.fixes[0].patched_source.splitlines()[9] == (
        '    keras.layers.Dense(32, activation="leaky_relu", bias_initializer=keras.initializers.Constant(-5.0)),')
    assert_snapshot("GM304", render(report))


def test_22_of_32_dead_units_are_under_the_70_percent_threshold():
    assert "GM304" not in check(NEGATIVE_BIAS, negative_bias(dead_units=22)).codes()
    assert [f.evidence["dead_units"] for f in check(NEGATIVE_BIAS, negative_bias(dead_units=23)).by_code("GM304")] \
        == [23]


def test_units_killed_by_a_high_learning_rate_follow_from_gm307():
    """Adam at 1.0, as the real run records it: updates near the weights' size, both layers die."""
    shots = [shot(0, relu_output("dense", 32, 2), relu_output("dense_1", 32, 8), model_output("dense_2", "softmax", 2)),
             shot(4, relu_output("dense", 32, 20), relu_output("dense_1", 32, 29), model_output("dense_2", "softmax", 2)),
             shot(8, relu_output("dense", 32, 25), relu_output("dense_1", 32, 28), model_output("dense_2", "softmax", 2)),
             shot(12, relu_output("dense", 32, 28), relu_output("dense_1", 32, 29), model_output("dense_2", "softmax", 2))]
    ratio = [0.97, 0.49, 0.29, 0.2, 0.15, 0.12, 0.096, 0.08, 0.067, 0.058, 0.052, 0.046]
    rec = recording(TWO_HIDDEN, epochs=3, trained_by=optimizer("Adam", 1.0), activations=shots, loss=[
        0.678, 271.0, 220.0, 34.8, 116.2, 19.6, 60.9, 10.2, 57.6, 42.4, 21.6, 6.36], layers={
        "dense": {"grad_norm": [0.14, 38.1, 66.7, 34.9, 38.1, 29.8, 17.2, 5.64, 14.2, 12.9, 8.02, 3.5],
                  "update_ratio": ratio,
                  "zero_fraction": [0.06, 0.5, 0.56, 0.63, 0.66, 0.63, 0.75, 0.75, 0.78, 0.78, 0.81, 0.88]},
        "dense_1": {"grad_norm": [0.12, 51.9, 60.8, 25.9, 33.5, 18.0, 14.9, 10.5, 15.9, 11.2, 7.68, 4.24],
                    "update_ratio": ratio,
                    "zero_fraction": [0.4, 0.78, 0.85, 0.95, 0.97, 0.96, 0.98, 0.98, 0.97, 0.98, 0.98, 0.99]},
        "dense_2": {"grad_norm": [0.1, 71.7, 39.9, 23.1, 29.2, 10.7, 32.3, 25.3, 33.5, 21.3, 12.1, 5.15],
                    "update_ratio": ratio}})
    report = check(LR_KILLS, fit_evidence(line=15, model_info=TWO_HIDDEN, recording=rec))
    assert report.codes() == ["GM307", "GM304"]
    found = report.findings[1]
    assert report.findings[found.caused_by].code == "GM307"
    assert (found.line, found.layer, found.step) == (10, "dense", 2)
    assert [(e["layer"], e["step"], e["dead_units"]) for e in found.evidence["layers"]] == [
        ("dense", 7, 28), ("dense_1", 2, 29)]
    assert found.message == ("units of 2 layers output 0 for every sample, so they are dead and cannot learn: "
                             "`dense` (28/32), `dense_1` (29/32)")
    assert found.help == "lower the learning rate"
    assert [fix.id for fix in found.fixes] == ["lower-learning-rate", "leaky-relu"]
    assert found.fixes[0].patched_source.splitlines()[13] == (
        'model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")')


def test_without_a_probe_the_bias_gradients_tell_the_dead_units():
    """A model whose layers cannot be run alone: units with a bias gradient of exactly 0 for the batch are dead."""
    rec = recording(ONE_HIDDEN, loss=FLAT_LOSS, layers={
        "dense": {"grad_norm": 0.01, "zero_grad_units": [0.25, 0.5, 0.75, 0.8, 0.8, 0.85, 0.85, 0.85]},
        "dense_1": {"grad_norm": 0.0625}})
    found = check(NEGATIVE_BIAS, fit_evidence(line=14, model_info=ONE_HIDDEN, recording=rec)).by_code("GM304")
    assert [(f.layer, f.step, f.evidence["measured_by"], f.evidence["dead_units"]) for f in found] == [
        ("dense", 3, "gradients", 27)]
