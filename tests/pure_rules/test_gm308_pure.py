"""GM308 from constructed evidence: negligible updates, a loss that does not move."""

from builders_recording import inputs_from, optimizer, recording
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 4)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [3.0], [0.5]], dtype="float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6), loss="mse")
model.fit(x, y, epochs=6, batch_size=16, verbose=0)
"""

MODEL = model_info((dense("dense", 16, inputs=4, activation="tanh", line=10), 4, 16),
                   (dense("dense_1", 1, inputs=16, line=11), 16, 1))
BATCHES = [8.2806, 9.9355, 5.7606, 13.5896]  # the loss of each of the 4 batches in the first epoch
# SGD at 1e-6, as the real run records it: each epoch repeats the batches' losses, 3e-4 lower
CREEPING = [loss - 0.00029 * epoch for epoch in range(6) for loss in BATCHES]


def sgd_at_one_millionth(loss=CREEPING, ratio=None, preflight=None):
    layers = {"dense": {"grad_norm": [5.53, 5.95, 4.17, 9.16] * 6,
                        "update_ratio": [2.07e-6, 2.28e-6, 1.53e-6, 3.46e-6] * 6 if ratio is None else ratio},
              "dense_1": {"grad_norm": [5.89, 6.78, 4.1, 9.62] * 6,
                          "update_ratio": [4.4e-6, 5.14e-6, 2.91e-6, 7.14e-6] * 6 if ratio is None else ratio}}
    rec = recording(MODEL, epochs=6, trained_by=optimizer("SGD", 1e-6), loss=loss, layers=layers,
                    totals={"zero_fraction": 0.0,
                            "update_ratio": [2.72e-6, 3.09e-6, 1.9e-6, 4.47e-6] * 6 if ratio is None else ratio})
    return fit_evidence(line=14, model_info=MODEL, recording=rec, preflight=preflight)


def test_sgd_at_one_millionth_and_the_plateau_it_causes():
    report = check(SOURCE, sgd_at_one_millionth())
    assert report.codes() == ["GM308", "GM309"]
    found, plateau = report.findings
    assert report.findings[plateau.caused_by] is found
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 13, None, 1)
    evidence = found.evidence
    assert round(evidence["update_ratio"], 9) == 2.905e-6 and evidence["learning_rate"] == 1e-6
    assert abs(evidence["loss_change"]) < 2e-4 and evidence["steps"] == 24
    assert evidence["suggested_learning_rate"] == 0.001
    assert found.message == ("the learning rate 1e-06 is too low: each step changes the weights by 2.9e-06 of their "
                             "size (healthy: about 1e-3), and the loss moved 0.0154 % in 24 steps")
    assert [fix.id for fix in found.fixes] == ["raise-learning-rate"]
    assert found.fixes[0].patched_source.splitlines()[12] == (
        'model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001), loss="mse")')
    assert_snapshot("GM308", render(report))


def test_updates_of_1e_5_or_a_loss_that_moves_1_percent_are_not_gm308():
    assert "GM308" not in check(SOURCE, sgd_at_one_millionth(ratio=1e-5)).codes()
    assert "GM308" in check(SOURCE, sgd_at_one_millionth(ratio=0.99e-5)).codes()
    falling = [loss * (1 - 0.004 * epoch) for epoch in range(6) for loss in BATCHES]  # -2 % over the run
    assert "GM308" not in check(SOURCE, sgd_at_one_millionth(loss=falling)).codes()


def test_unscaled_inputs_supersede_gm308():
    unscaled = inputs_from("x", 5, (64, 4), low=-2500.0, high=2400.0)
    codes = check(SOURCE, sgd_at_one_millionth(preflight=unscaled)).codes()
    assert "GM202" in codes and "GM308" not in codes
