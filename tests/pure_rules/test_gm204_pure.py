"""GM204 from constructed evidence: house prices in the hundreds of thousands as `mse` targets of a linear unit."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from builders_recording import recording
from evidence_builder import check, dense, model_info, render
from snapshot import assert_snapshot

SOURCE = """import numpy as np
import keras

x = np.random.normal(size=(64, 3)).astype("float32")
y = (250_000 + 80_000 * x[:, :1] + 20_000 * x[:, 1:2]).astype("float32")

model = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 16, inputs=3, activation="relu", line=9)
LINEAR = dense("dense_1", 1, inputs=16, line=10)
MODEL = model_info((HIDDEN, 3, 16), (LINEAR, 16, 1))
X = array("x", (64, 3), low=-2.55, high=2.38, mean=0.0518, std=1.02, origin=made_at("x", 4, "x"))


PRICES = {"low": 84_578.0, "high": 466_622.6, "mean": 269_355.3, "std": 86_295.3}


def _fit(targets: dict[str, float], *, steps: int):
    y = array("y", (64, 1), **targets, origin=made_at("y", 5, "y"))
    output = head(LINEAR, "mse", y, target_kind="continuous", relation="same", loss_value=9.228e10)
    flat = recording(MODEL, epochs=3, loss=[9.23e10 - 1e5 * step for step in range(steps)])  # barely moves
    return preflight_fit(preflight(output, inputs=(X,)), [(HIDDEN, 3, 16), (LINEAR, 16, 1)], loss="mse", line=13,
                         model_info=MODEL, recording=flat)


def test_targets_in_the_hundreds_of_thousands_are_gm204_where_they_are_made():
    report = check(SOURCE, _fit(PRICES, steps=12))
    assert report.codes() == ["GM204"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("warning", 5, "dense_1")
    assert found.message == ("regression targets `y` range 84,578..466,623 (mean 269,355, std 86,295), far from the "
                             "unit scale of a freshly initialised output")
    assert (found.evidence["mean"], found.evidence["std"], found.evidence["loss_first_batch"]) \
        == (269_355.3, 86_295.3, 9.228e10)
    assert "a freshly initialised output starts near 0 and Adam moves each weight by about 0.001 per step" \
        in found.notes
    assert [fix.id for fix in found.fixes] == ["standardise-targets", "rescaling-output"]
    standardise, rescaling = (fix.patched_source.splitlines() for fix in found.fixes)
    assert standardise[5:7] == ["y_mean, y_std = y.mean(), y.std()", "y = (y - y_mean) / y_std"]
    assert rescaling[10] == "    keras.layers.Rescaling(scale=float(y.std()), offset=float(y.mean())),"
    assert_snapshot("GM204", render(report))


def test_targets_just_under_a_hundred_are_near_enough_to_unit_scale():
    near = {"low": 51.0, "high": 148.0, "mean": 99.0, "std": 20.0}  # max(|mean|, std) under the limit of 100
    assert "GM204" not in check(SOURCE, _fit(near, steps=12)).codes()


def test_the_loss_that_does_not_move_follows_from_the_target_scale():
    report = check(SOURCE, _fit(PRICES, steps=24))
    plateau = report.by_code("GM309")[0]
    assert report.findings[plateau.caused_by].code == "GM204"
