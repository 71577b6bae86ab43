"""GM303 from constructed evidence: the first layer's gradient is negligible against the last."""

from builders_recording import model_output, recording, shot, squashed_output
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 8)).astype("float32")
y = (x[:, :1] > 0).astype("float32")

model = keras.Sequential([
    keras.Input((8,)),
    *[keras.layers.Dense(16, activation="sigmoid") for _ in range(8)],
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

HIDDEN = ["dense"] + [f"dense_{i}" for i in range(1, 8)]
MODEL = model_info(*[(dense(name, 16, inputs=8 if i == 0 else 16, activation="sigmoid", line=10), 8 if i == 0 else 16, 16)
                     for i, name in enumerate(HIDDEN)],
                   (dense("dense_8", 1, inputs=16, activation="sigmoid", line=11), 16, 1))
# each layer's gradient norm in a typical step of the real run: about 4x smaller per sigmoid layer
LEVEL = {"dense": 6.4e-6, "dense_1": 2.4e-5, "dense_2": 8.5e-5, "dense_3": 3.2e-4, "dense_4": 1.1e-3,
         "dense_5": 4.7e-3, "dense_6": 0.025, "dense_7": 0.14, "dense_8": 0.41}
BATCHES = [0.47, 1.1, 0.75, 1.7, 0.36, 1.0, 0.64, 1.6]  # how the step's batch scales every layer's norm
LOSS = [0.709, 0.75, 0.726, 0.779, 0.703, 0.734, 0.715, 0.755]


def deep_sigmoid(level=LEVEL, activations=()):
    layers = {name: {"grad_norm": [value * scale for scale in BATCHES], "update_ratio": 3e-3}
              for name, value in level.items()}
    return fit_evidence(line=14, model_info=MODEL, recording=recording(MODEL, loss=LOSS, layers=layers,
                                                                       activations=activations))


def test_eight_sigmoid_layers_starve_the_first():
    report = check(SOURCE, deep_sigmoid())
    assert report.codes() == ["GM303"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 10, "dense", 1)
    assert found.evidence["last_layer"] == "dense_8"
    assert round(found.evidence["first_norm"], 8) == 4.8e-6 and found.evidence["ratio"] < 2e-5
    assert list(found.evidence["layer_norms"]) == [*HIDDEN, "dense_8"]
    assert found.message == ("the gradient of the first layer `dense` (4.8e-06) is 1.6e-05 of the last layer's "
                             "`dense_8` (0.307)")
    assert [fix.id for fix in found.fixes] == ["relu"]
    assert found.fixes[0].patched_source.splitlines()[9] == (
        '    *[keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal") for _ in range(8)],')
    assert_snapshot("GM303", render(report))


def test_a_first_layer_norm_of_exactly_1e_4_is_not_gm303():
    steady = {name: {"grad_norm": 1e-4 if name == "dense" else 0.4, "update_ratio": 3e-3} for name in LEVEL}
    rec = recording(MODEL, loss=LOSS, layers=steady)
    assert check(SOURCE, fit_evidence(line=14, model_info=MODEL, recording=rec)).codes() == []
    steady["dense"]["grad_norm"] = 0.99e-4
    rec = recording(MODEL, loss=LOSS, layers=steady)
    assert check(SOURCE, fit_evidence(line=14, model_info=MODEL, recording=rec)).codes() == ["GM303"]


def test_a_saturated_first_layer_is_the_cause_of_gm303():
    saturated = [shot(step, squashed_output("dense", "sigmoid", 16, 0.92, 15, mean_abs=0.6),
                      model_output("dense_8", "sigmoid", 1)) for step in (0, 4, 8)]
    report = check(SOURCE, deep_sigmoid(activations=saturated))
    assert report.codes() == ["GM305", "GM303"]
    assert report.findings[report.findings[1].caused_by].code == "GM305"
