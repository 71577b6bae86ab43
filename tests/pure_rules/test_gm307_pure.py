"""GM307 from constructed evidence: updates large against the weights while the loss diverges."""

from builders_recording import optimizer, recording
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 8)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation="tanh"),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=2.0), loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

MODEL = model_info((dense("dense", 16, inputs=8, activation="tanh", line=10), 8, 16),
                   (dense("dense_1", 2, inputs=16, activation="softmax", line=11), 16, 2))
ADAM = optimizer("Adam", 2.0)
# Adam at 2.0 as the real run records it: the first update is the size of the weights, then it shrinks
RATIO = [0.979, 0.55, 0.334, 0.231, 0.184, 0.145, 0.122, 0.097, 0.092, 0.086, 0.076, 0.065]
DIVERGING = [0.437, 3.995, 3.777, 1.218, 2.192, 1.781, 1.243, 6.527, 6.89, 4.015, 0.338, 5.534]
LAYERS = {"dense": {"grad_norm": [0.38, 3.07, 1.52, 0.7, 2.23, 2.75, 2.39, 1.84, 1.69, 1.46, 0.11, 0.054],
                    "update_ratio": [0.987, 0.556, 0.337, 0.23, 0.173, 0.139, 0.115, 0.099, 0.091, 0.076, 0.066, 0.057]},
          "dense_1": {"grad_norm": [0.26, 0.97, 0.44, 0.33, 0.61, 0.52, 0.3, 0.86, 0.8, 0.93, 0.32, 0.36],
                      "update_ratio": [0.948, 0.524, 0.318, 0.239, 0.248, 0.184, 0.168, 0.079, 0.099, 0.16, 0.15, 0.129]}}


def adam_at_two(loss=DIVERGING, ratio=None, zero_fraction=0.0):
    """``ratio``: one update/weight ratio for every layer and step instead of the recorded ones."""
    layers = {name: {**series, "zero_fraction": zero_fraction, **({} if ratio is None else {"update_ratio": ratio})}
              for name, series in LAYERS.items()}
    rec = recording(MODEL, epochs=3, trained_by=ADAM, loss=loss, layers=layers,
                    totals={"update_ratio": RATIO if ratio is None else ratio, "zero_fraction": zero_fraction})
    return fit_evidence(line=14, model_info=MODEL, recording=rec)


def test_adam_at_two_moves_weights_by_a_tenth_per_step():
    report = check(SOURCE, adam_at_two())
    assert report.codes() == ["GM307"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 13, None, 1)
    evidence = found.evidence
    assert (evidence["learning_rate"], evidence["optimizer"], evidence["suggested_learning_rate"]) == (2.0, "Adam", 0.01)
    assert round(evidence["update_ratio"], 4) == 0.1335 and evidence["diverged"] is True
    assert (evidence["loss_initial"], evidence["loss_highest"]) == (0.437, 6.89)
    assert found.message == ("the learning rate 2 is too high: each step changes the weights by 0.134 of their size "
                             "(healthy: about 1e-3), and the loss diverged (0.437 at first, 6.89 at worst, "
                             "4.19 at the end)")
    assert [fix.id for fix in found.fixes] == ["lower-learning-rate"]
    assert found.fixes[0].patched_source.splitlines()[12] == (
        'model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")')
    assert_snapshot("GM307", render(report))


def test_large_updates_while_the_loss_goes_down_are_not_gm307():
    falling = [0.69 - 0.05 * step for step in range(12)]
    assert "GM307" not in check(SOURCE, adam_at_two(loss=falling)).codes()
    assert "GM307" not in check(SOURCE, adam_at_two(ratio=0.0099)).codes()  # diverged, updates under 1 %
    assert "GM307" in check(SOURCE, adam_at_two(ratio=0.01)).codes()


def test_mostly_zero_gradients_are_gm306s_story_not_the_learning_rate():
    codes = check(SOURCE, adam_at_two(zero_fraction=0.95)).codes()
    assert "GM306" in codes and "GM307" not in codes
