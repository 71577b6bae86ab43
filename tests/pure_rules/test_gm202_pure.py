"""GM202 from constructed evidence: tabular features in the tens of thousands, and the tanh they saturate."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from builders_recording import model_output, recording, shot, squashed_output
from evidence_builder import check, dense, model_info, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

income = np.random.uniform(20_000, 120_000, size=(64, 1))
age = np.random.uniform(18, 80, size=(64, 1))
x = np.hstack([income, age]).astype("float32")
y = ((income / 1000 + age) > 100).astype("float32")

model = keras.Sequential([
    keras.Input((2,)),
    keras.layers.Dense(8, activation="tanh"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

TANH = dense("dense", 8, inputs=2, activation="tanh", line=11)
SIGMOID = dense("dense_1", 1, inputs=8, activation="sigmoid", line=12)
LAYERS = [(TANH, 2, 8), (SIGMOID, 8, 1)]
X = array("x", (64, 2), low=18.29, high=118_837.4, mean=35_062.4, std=40_165.6, origin=made_at("x", 6, "x"))
Y = array("y", (64, 1), low=0.0, high=1.0, mean=0.672, std=0.47, integral=True, origin=made_at("y", 7, "y"))


def _fit(first_readers: list[str], **overrides):
    output = head(SIGMOID, "binary_crossentropy", Y, target_kind="binary", relation="same", target_classes=2)
    checks = preflight(output, inputs=(X,), input_layers=first_readers, input_readers={"x": first_readers})
    return preflight_fit(checks, LAYERS, loss="binary_crossentropy", line=15, **overrides)


def test_features_in_the_tens_of_thousands_are_gm202_where_fit_gets_them():
    report = check(SOURCE, _fit(["Dense"]))
    assert report.codes() == ["GM202"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("warning", 6, None)
    assert found.message == ("inputs `x` range 18.3..118,837 (mean 35,062), far from the unit scale the first "
                             "layer's initial weights assume")
    assert (found.evidence["max"], found.evidence["columns"], found.evidence["pixel_like"]) == (118_837.4, 2, False)
    assert "the first layer is a `Dense`, which does not rescale its inputs" in found.notes
    assert [fix.id for fix in found.fixes] == ["normalization-layer", "standardise"]
    layer, standardise = (fix.patched_source.splitlines() for fix in found.fixes)
    assert layer[10] == "    keras.layers.Normalization(mean=x.mean(axis=0), variance=x.var(axis=0)),"
    assert standardise[6] == "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)"
    assert_snapshot("GM202", render(report))


def test_a_normalization_layer_reading_the_inputs_rescales_them_itself():
    assert "GM202" not in check(SOURCE, _fit(["Normalization"])).codes()


def test_the_tanh_saturated_by_the_unscaled_inputs_follows_from_them():
    model = model_info(*LAYERS)
    shots = [shot(step, squashed_output("dense", "tanh", 8, 0.9375, 7, mean_abs=0.998),
                  model_output("dense_1", "sigmoid", 1, saturated_fraction=0.0, saturated_units=0))
             for step in (0, 4, 8, 12)]
    rec = recording(model, epochs=3, loss=[0.69, 0.66, 0.64, 0.66, 0.63, 0.62, 0.64, 0.62, 0.61, 0.63, 0.6, 0.61],
                    layers={"dense": {"grad_norm": 1e-5}, "dense_1": {"grad_norm": 0.4}}, activations=shots)
    report = check(SOURCE, _fit(["Dense"], model_info=model, recording=rec))
    saturated = report.by_code("GM305")[0]
    assert report.findings[saturated.caused_by].code == "GM202"
