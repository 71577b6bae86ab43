"""GM305 from constructed evidence: most outputs of a hidden sigmoid/tanh layer sit in the flat region."""

from builders_recording import (
    inputs_from,
    model_output,
    recording,
    shot,
    squashed_output,
)
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

LARGE_INIT = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 8)).astype("float32")
y = (x[:, :1] > 0).astype("float32")

model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(32, activation="tanh", kernel_initializer=keras.initializers.RandomNormal(stddev=5.0)),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

UNSCALED = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32") * 1000.0
y = (x[:, 0] > 500.0).astype("float32")

model = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Dense(16, activation="sigmoid"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

TANH = model_info((dense("dense", 32, inputs=8, activation="tanh", line=10), 8, 32),
                  (dense("dense_1", 1, inputs=32, activation="sigmoid", line=11), 32, 1))
SIGMOID = model_info((dense("dense", 16, inputs=6, activation="sigmoid", line=10), 6, 16),
                     (dense("dense_1", 1, inputs=16, activation="sigmoid", line=11), 16, 1))
LAYERS = {"dense": {"grad_norm": [0.136, 0.105, 0.081, 0.15, 0.134, 0.103, 0.079, 0.148], "update_ratio": 1e-4},
          "dense_1": {"grad_norm": [0.9, 0.75, 0.96, 0.82, 0.89, 0.73, 0.93, 0.81], "update_ratio": 3e-3}}


def large_init(fractions=(0.7188, 0.7188, 0.7188), loss=(0.763, 0.672, 0.543, 0.867, 0.746, 0.660, 0.529, 0.856)):
    """tanh with RandomNormal(stddev=5): pre-activations far beyond +-5 for most units, from the start."""
    shots = [shot(step, squashed_output("dense", "tanh", 32, fraction, round(fraction * 40), mean_abs=0.954),
                  model_output("dense_1", "sigmoid", 1, saturated_fraction=0.0, saturated_units=0))
             for step, fraction in zip((0, 4, 8), fractions)]
    rec = recording(TANH, loss=list(loss), layers=LAYERS, activations=shots)
    return fit_evidence(line=14, model_info=TANH, recording=rec)


def test_large_initialiser_saturates_tanh_and_the_fix_restores_glorot():
    report = check(LARGE_INIT, large_init())
    assert report.codes() == ["GM305"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 10, "dense", 1)
    evidence = found.evidence
    assert (evidence["activation"], evidence["saturated_fraction"], evidence["saturated_units"]) == ("tanh", 0.7188, 29)
    assert evidence["initial_saturated_fraction"] == 0.7188 and evidence["input_scale"] is None
    assert found.message == ("72 % of the outputs of `dense` (tanh) sit in its flat region, where the gradient is "
                             "almost 0")
    assert [fix.id for fix in found.fixes] == ["initializer"]
    assert found.fixes[0].patched_source.splitlines()[9] == (
        '    keras.layers.Dense(32, activation="tanh", kernel_initializer="glorot_uniform"),')
    assert_snapshot("GM305", render(report))


def test_half_saturated_or_saturated_late_while_learning_is_not_gm305():
    assert "GM305" not in check(LARGE_INIT, large_init(fractions=(0.5, 0.5, 0.5))).codes()
    assert "GM305" in check(LARGE_INIT, large_init(fractions=(0.52, 0.52, 0.52))).codes()
    falling = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)  # saturated only after step 4, and the loss still halves
    assert "GM305" not in check(LARGE_INIT, large_init(fractions=(0.1, 0.6, 0.8), loss=falling)).codes()


def test_unscaled_inputs_are_the_cause_and_standardising_them_the_fix():
    shots = [shot(step, squashed_output("dense", "sigmoid", 16, fraction, 16, mean_abs=0.602),
                  model_output("dense_1", "sigmoid", 1, saturated_fraction=0.0, saturated_units=0))
             for step, fraction in ((0, 0.9922), (4, 1.0), (8, 1.0))]
    rec = recording(SIGMOID, loss=[1.056, 0.754, 1.019, 1.549, 1.029, 0.736, 1.002, 1.51], activations=shots,
                    layers={"dense": {"grad_norm": [3.93, 0.19, 2.79, 0.046, 0.4, 6.24, 0.046, 9.81]},
                            "dense_1": {"grad_norm": [1.15, 0.58, 1.14, 1.92, 1.15, 0.57, 1.12, 1.9]}},
                    totals={"update_ratio": 1.6e-3})
    fit = fit_evidence(line=14, model_info=SIGMOID, recording=rec,
                       preflight=inputs_from("x", 5, (64, 6), low=4.7, high=998.8))
    report = check(UNSCALED, fit)
    assert report.codes() == ["GM202", "GM305"]
    found = report.findings[1]
    assert report.findings[found.caused_by].code == "GM202"
    assert found.evidence["input_scale"] == 998.8 and found.help == "standardise the inputs (they reach 999)"
    assert [fix.id for fix in found.fixes] == ["standardise"]
    assert found.fixes[0].patched_source.splitlines()[5] == "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)"
