"""GM309 from constructed evidence: the loss does not go down over the run."""

import math

from builders_recording import (
    inputs_from,
    model_output,
    optimizer,
    output_head,
    recording,
    relu_output,
    shot,
)
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.data import DataOrigin

TINY_INPUTS = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = (np.random.normal(size=(64, 6)) * 1e-4).astype("float32")
y = (x[:, 0] > 0).astype("float32")

model = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=6, batch_size=16, verbose=0)
"""

SHUFFLED_APART = """import numpy as np
import keras

rng = np.random.default_rng(21)
keras.utils.set_random_seed(21)
X = rng.normal(size=(640, 6)).astype("float32")
y = (X[:, 0] + X[:, 1] > 0).astype("float32")
X = rng.permutation(X)
y = rng.permutation(y)

model = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy")
history = model.fit(X, y, epochs=4, batch_size=32, verbose=0)
"""

MODEL = model_info((dense("dense", 16, inputs=6, activation="relu", line=10), 6, 16),
                   (dense("dense_1", 1, inputs=16, activation="sigmoid", line=11), 16, 1))
BINARY = output_head("binary_crossentropy", "binary", activation="sigmoid", target_kind="binary", prior_loss=0.6887)
# the real run: each epoch's 4 batches at log(2), the loss creeping down 0.18 % in 6 epochs
AT_LOG_2 = [0.6931, 0.6931, 0.6925, 0.694, 0.6931, 0.692, 0.6911, 0.6947, 0.6931, 0.6914, 0.6902, 0.6953,
            0.6932, 0.6908, 0.6893, 0.696, 0.6932, 0.6902, 0.6884, 0.6966, 0.6932, 0.6896, 0.6876, 0.6972]
LAYERS = {"dense": {"grad_norm": [0.0012, 0.0018, 0.0027, 0.0019] * 6, "update_ratio": 1.3e-3},
          "dense_1": {"grad_norm": [0.12, 0.18, 0.28, 0.19] * 6, "update_ratio": 1.3e-3}}


def tiny_inputs(loss=AT_LOG_2, epochs=6, scale=2.77e-4, activations=()):
    preflight = inputs_from("x", 5, (64, 6), low=-scale, high=0.86 * scale)
    preflight.outputs = [BINARY]
    rec = recording(MODEL, epochs=epochs, loss=loss, layers=LAYERS, activations=activations)
    return fit_evidence(line=14, model_info=MODEL, recording=rec, preflight=preflight)


def test_inputs_at_1e_minus_4_leave_the_loss_at_log_2():
    report = check(TINY_INPUTS, tiny_inputs())
    assert report.codes() == ["GM309"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 14, None, 1)
    evidence = found.evidence
    assert round(evidence["loss_start"], 4) == 0.6932 and round(evidence["change"], 5) == -0.00184
    assert evidence["steps"] == 24 and evidence["input_scale"] == 2.77e-4
    assert found.message == ("the loss did not go down: 0.693 in the first epoch, 0.692 in the last (-0.184 %) "
                             "over 24 steps")
    assert [fix.id for fix in found.fixes] == ["standardise"]
    assert found.fixes[0].patched_source.splitlines()[5] == "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)"
    assert_snapshot("GM309", render(report))


def test_a_one_percent_fall_or_two_epochs_at_unit_scale_are_not_gm309():
    falling = [loss * (1 - 0.002 * (step // 4)) for step, loss in enumerate(AT_LOG_2)]  # -1 % first to last epoch
    assert "GM309" not in check(TINY_INPUTS, tiny_inputs(loss=falling)).codes()
    assert "GM309" not in check(TINY_INPUTS, tiny_inputs(epochs=2, scale=2.5)).codes()  # a slow start
    assert "GM309" in check(TINY_INPUTS, tiny_inputs(epochs=3, scale=2.5)).codes()


def test_a_dead_hidden_layer_is_the_cause_of_the_plateau():
    dead = [shot(step, relu_output("dense", 16, 16), model_output("dense_1", "sigmoid", 1)) for step in (0, 12, 24)]
    report = check(TINY_INPUTS, tiny_inputs(activations=dead))
    assert report.codes() == ["GM304", "GM309"]
    assert report.findings[report.findings[1].caused_by].code == "GM304"


def test_inputs_and_labels_shuffled_apart_stay_at_the_prior_loss():
    model = model_info((dense("dense", 8, inputs=6, activation="relu", line=13), 6, 8),
                       (dense("dense_1", 1, inputs=8, activation="sigmoid", line=14), 8, 1))
    origins = {key: DataOrigin(argument=key, expression=name, name=name, line=line, argument_is_name=True,
                               argument_line=line) for key, name, line in (("x", "X", 8), ("y", "y", 9))}
    preflight = inputs_from("X", 8, (640, 6), low=-3.2, high=3.4)
    preflight.origins, preflight.outputs = origins, [output_head(
        "binary_crossentropy", "binary", activation="sigmoid", target_kind="binary", prior_loss=math.log(2))]
    loss = [0.70, 0.697, 0.695, 0.694] + [0.6935, 0.6932, 0.6931, 0.6933] * 19  # 4 epochs of 20 batches
    rec = recording(model, epochs=4, trained_by=optimizer("Adam", 0.003), loss=loss, layers={
        "dense": {"grad_norm": 0.02, "update_ratio": 2e-3}, "dense_1": {"grad_norm": 0.05, "update_ratio": 2e-3}})
    found = check(SHUFFLED_APART, fit_evidence(line=17, model_info=model, recording=rec,
                                               preflight=preflight)).by_code("GM309")[0]
    assert (found.line, found.evidence["shuffled_apart"]) == (8, ["X", "y"])
    assert found.message.startswith("the loss never got below the loss of guessing the label frequencies (0.693)")
    assert [fix.id for fix in found.fixes] == ["one-permutation"]
    assert found.fixes[0].patched_source.splitlines()[7:10] == [
        "perm = rng.permutation(len(X))  # one order for every array", "X = X[perm]", "y = y[perm]"]
