"""GM302 from constructed evidence: the gradient norm grows out of bounds."""

from builders_recording import optimizer, output_head, recording, target_stats
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.preflight import Preflight

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(64, 4)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [3.0], [0.5]], dtype="float32")

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.15, momentum=0.9), loss="mse")
model.fit(x, y, epochs=4, batch_size=16, verbose=0)
"""

MODEL = model_info((dense("dense", 16, inputs=4, activation="relu", line=10), 4, 16),
                   (dense("dense_1", 1, inputs=16, line=11), 16, 1))
SGD = optimizer("SGD", 0.15, momentum=0.9)


def momentum_blowup(preflight: Preflight | None = None):
    """SGD with momentum 0.9 at 0.15, as the real run records it: the norm climbs from ~6 to ~3.7e6."""
    rec = recording(MODEL, epochs=4, trained_by=SGD, loss=[
        9.35, 5.01, 1.0, 35.6, 8.9, 42.5, 35.1, 29.1, 12.5, 8.35, 99.0, 314.5, 1065.5, 34.4, 4570.8, 1.25e8], layers={
        "dense": {"grad_norm": [5.18, 4.44, 3.51, 39.8, 5.94, 44.5, 23.5, 16.3, 2.75, 3.5, 59.6, 206.1, 405.9, 13.1,
                                1475.5, 2.84e6],
                  "update_ratio": [0.25, 0.33, 0.28, 1.04, 0.53, 0.44, 0.37, 0.38, 0.28, 0.22, 0.55, 0.97, 0.89, 0.48,
                                   0.98, 1.0]},
        "dense_1": {"grad_norm": [3.98, 4.41, 2.3, 37.1, 6.08, 19.7, 17.8, 13.9, 3.42, 1.48, 44.3, 104.4, 230.1, 58.2,
                                  901.9, 2.33e6],
                    "update_ratio": [0.37, 0.45, 0.32, 1.75, 0.68, 0.3, 0.2, 0.36, 0.28, 0.21, 0.48, 0.85, 1.03, 0.57,
                                     0.99, 1.0]}})
    return fit_evidence(line=14, model_info=MODEL, recording=rec, preflight=preflight)


def test_momentum_sgd_gradient_grows_half_a_millionfold():
    report = check(SOURCE, momentum_blowup())
    assert report.codes() == ["GM302", "GM307"]
    found = report.by_code("GM302")[0]
    assert (found.severity, found.line, found.layer, found.step) == ("warning", 13, "dense", 11)
    evidence = found.evidence
    assert evidence["kind"] == "growth" and evidence["overflowed"] is False
    assert round(evidence["initial_norm"], 2) == 6.26 and evidence["peak_step"] == 16
    assert 5e5 < evidence["growth"] < 6e5 and evidence["learning_rate"] == 0.15
    assert found.message == "the gradient norm grew 5.9e+05x, from 6.26 in the first steps to 3.7e+06 at step 16"
    assert [fix.id for fix in found.fixes] == ["clipnorm", "lower-learning-rate"]
    assert found.fixes[0].patched_source.splitlines()[12] == (
        'model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.15, momentum=0.9, clipnorm=1.0), loss="mse")')
    assert found.fixes[1].patched_source.splitlines()[12] == (
        'model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001, momentum=0.9), loss="mse")')
    assert_snapshot("GM302", render(report))


def test_growth_just_under_a_thousandfold_is_not_gm302():
    def fit(peak: float):
        norms = [1.0, 1.1, 0.9, 2.0, 10.0, 50.0, 200.0, peak]
        rec = recording(MODEL, loss=[1.0, 0.9, 0.8, 0.8, 0.7, 0.7, 0.6, 0.6], totals={"grad_norm": norms},
                        layers={"dense": {"grad_norm": norms, "update_ratio": 1e-3},
                                "dense_1": {"grad_norm": norms, "update_ratio": 1e-3}})
        return fit_evidence(line=14, model_info=MODEL, recording=rec)

    assert "GM302" not in check(SOURCE, fit(999.0)).codes()
    assert [f.evidence["growth"] for f in check(SOURCE, fit(1000.0)).by_code("GM302")] == [1000.0]


def test_targets_far_from_unit_scale_supersede_gm302():
    targets = target_stats("y", 6, 64, low=-400.0, high=900.0, mean=300.0, std=250.0)
    preflight = Preflight(outputs=[output_head("mean_squared_error", "regression", targets=targets)],
                          targets=[targets])
    codes = check(SOURCE, momentum_blowup(preflight)).codes()
    assert "GM204" in codes and "GM302" not in codes
