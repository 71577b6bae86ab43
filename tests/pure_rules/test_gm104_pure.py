"""GM104 from constructed evidence: categorical cross-entropy on a linear output of ten units."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from builders_recording import recording
from evidence_builder import check, dense, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.preflight import LossInfo

SOURCE = """import numpy as np
import keras

x = np.random.rand(64, 4).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, size=64), 10)

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(10),
])
model.compile(optimizer="adam", loss="categorical_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 16, inputs=4, activation="relu", line=9)
LOGITS = dense("dense_1", 10, inputs=16, line=10)
LAYERS = [(HIDDEN, 4, 16), (LOGITS, 16, 10)]
X = array("x", (64, 4), low=0.0047, high=0.9988, mean=0.4957, std=0.2841, origin=made_at("x", 4, "x"))
ONE_HOT = array("y", (64, 10), low=0.0, high=1.0, mean=0.1, std=0.3, dtype="float64", integral=True,
                origin=made_at("y", 5, "y"))
CCE = "categorical_crossentropy"


def _fit(loss: str | LossInfo = CCE, **overrides):
    output = head(LOGITS, loss, ONE_HOT, target_kind="one-hot", relation="same", target_classes=2,
                  loss_value=9.0014, observed_min=-0.917, observed_max=0.918, prior_loss=2.2324)
    return preflight_fit(preflight(output, inputs=(X,)), LAYERS, loss=CCE, line=13, **overrides)


def test_categorical_crossentropy_on_a_linear_output_is_gm104_with_softmax_and_from_logits_fixes():
    report = check(SOURCE, _fit())
    assert report.codes() == ["GM104"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 10, "dense_1")
    assert found.message == ("`categorical_crossentropy` expects probabilities but the output of `dense_1` is linear "
                             "(outputs range -0.917..0.918 on the first batch)")
    assert (found.evidence["output_units"], found.evidence["from_logits"], found.evidence["output_min"]) \
        == (10, False, -0.917)
    assert [fix.id for fix in found.fixes] == ["add-activation", "from-logits"]
    softmax, logits = (fix.patched_source.splitlines() for fix in found.fixes)
    assert softmax[9] == '    keras.layers.Dense(10, activation="softmax"),'
    assert logits[11] == 'model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))'
    assert_snapshot("GM104", render(report))


def test_a_linear_output_with_from_logits_true_is_what_the_loss_expects():
    from_logits = LossInfo("CategoricalCrossentropy", CCE, "categorical", from_logits=True, form="object")
    assert "GM104" not in check(SOURCE, _fit(from_logits)).codes()


def test_a_flat_loss_follows_from_the_clipped_linear_output():
    model = model_info(*LAYERS)
    flat = recording(model, epochs=3, loss=[8.06 - 0.0005 * step for step in range(24)])
    report = check(SOURCE, _fit(model_info=model, recording=flat))
    assert report.codes() == ["GM104", "GM309"]
    cause, plateau = report.findings
    assert plateau.caused_by == 0 and cause.caused_by is None
