"""GM107 from constructed evidence: `mse` on a softmax classifier, and `accuracy` reported for a regression."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

CLASSIFIER = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
y = keras.utils.to_categorical(np.argmax(x[:, :3], axis=1), 3)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 16, inputs=4, activation="relu", line=9)
SOFTMAX = dense("dense_1", 3, inputs=16, activation="softmax", line=10)
X = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4957, std=0.2841, origin=made_at("x", 4, "x"))
ONE_HOT = array("y", (64, 3), low=0.0, high=1.0, mean=0.333, std=0.471, integral=True, origin=made_at("y", 5, "y"))


def _classifier(**measured):
    output = head(SOFTMAX, "mse", ONE_HOT, target_kind="one-hot", relation="same", target_classes=2, **measured)
    return preflight_fit(preflight(output, inputs=(X,), metrics=["accuracy"]), [(HIDDEN, 4, 16), (SOFTMAX, 16, 3)],
                         loss="mse", line=13)


def test_mse_on_a_softmax_over_one_hot_targets_is_gm107_and_switches_to_cross_entropy():
    report = check(CLASSIFIER, _classifier())
    assert report.codes() == ["GM107"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("warning", 12, "dense_1")
    assert found.message == ("`mean_squared_error` is a regression loss but the output is a softmax classifier over "
                             "3 classes trained on one-hot targets")
    assert (found.evidence["output_units"], found.evidence["target_encoding"]) == (3, "one-hot")
    assert [fix.id for fix in found.fixes] == ["classification-loss"]
    assert found.fixes[0].patched_source.splitlines()[11] == \
        'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])'
    assert_snapshot("GM107", render(report))


def test_an_activation_only_guessed_from_the_output_values_does_not_make_a_classifier():
    assert "GM107" not in check(CLASSIFIER, _classifier(activation_from="observed")).codes()


REGRESSION = """import numpy as np
import keras

x = np.random.normal(size=(64, 3)).astype("float32")
y = x @ np.array([[0.5], [-1.0], [0.3]], dtype="float32")

model = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(8, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(
    optimizer=keras.optimizers.Adam(0.01),
    loss="mse",
    metrics=["accuracy"],
)
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

TANH = dense("dense", 8, inputs=3, activation="tanh", line=9)
LINEAR = dense("dense_1", 1, inputs=8, line=10)
CONTINUOUS = array("y", (64, 1), low=-2.96, high=2.6, mean=-0.0978, std=1.09, origin=made_at("y", 5, "y"))


def _regression(metrics: list[str]):
    output = head(LINEAR, "mse", CONTINUOUS, target_kind="continuous", relation="same")
    x = array("x", (64, 3), low=-2.55, high=2.38, mean=0.0518, std=1.02, origin=made_at("x", 4, "x"))
    return preflight_fit(preflight(output, inputs=(x,), metrics=metrics), [(TANH, 3, 8), (LINEAR, 8, 1)],
                         loss="mse", line=17)


def test_accuracy_on_continuous_targets_is_gm107_at_the_metrics_with_a_safe_fix():
    found = check(REGRESSION, _regression(["accuracy"])).findings[0]
    assert (found.code, found.severity, found.line, found.layer) == ("GM107", "warning", 15, None)
    assert found.message == ("`accuracy` counts exact matches, but the targets are continuous (-2.96..2.6): it stays "
                             "near 0 however well the model fits")
    assert (found.fixes[0].id, found.fixes[0].safety) == ("mae-metric", "safe")
    assert found.fixes[0].patched_source.splitlines()[14] == '    metrics=["mae"],'


def test_a_regression_reporting_mae_is_quiet():
    assert "GM107" not in check(REGRESSION, _regression(["mae"])).codes()
