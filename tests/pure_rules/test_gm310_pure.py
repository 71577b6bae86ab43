"""GM310 from constructed evidence: NaN weights behind a loss that still looks finite."""

import math

from builders_recording import (
    inputs_from,
    kernel_layer,
    model_output,
    recording,
    relu_output,
    shot,
    target_stats,
)
from evidence_builder import check, dense, dense_variables, fit_evidence, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.model import LayerInfo, ModelInfo
from gradmagic.evidence.facts.recording import NonfiniteEvent

NAN = math.nan

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6, 6, 1).astype("float32")
x[0, 0, 0, 0] = np.nan
y = x[:, 1:, 1:, :].mean(axis=(1, 2, 3)).reshape(-1, 1)

model = keras.Sequential([
    keras.Input((6, 6, 1)),
    keras.layers.Conv2D(4, 3, activation="relu"),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
"""


def _plain(name: str, class_name: str, line: int, units: int, inbound: str) -> LayerInfo:
    return LayerInfo(name=name, class_name=class_name, trainable=True, activation=None, inbound=[inbound], parent=None,
                     output_shape=f"(None, {units})", params=0, line=line, class_chain=(class_name, "Layer"))


CONV, CONV_VARIABLES = kernel_layer("conv2d", "Conv2D", activation="relu", line=11, units=4, shape=(3, 3, 1, 4))
OUTPUT = dense("dense", 1, inputs=16, activation="sigmoid", line=14, inbound=["flatten"])
MODEL = ModelInfo(name="sequential", class_name="Sequential", output_units=(1,),
                  layers=[CONV, _plain("max_pooling2d", "MaxPooling2D", 12, 4, "conv2d"),
                          _plain("flatten", "Flatten", 13, 16, "max_pooling2d"), OUTPUT],
                  variables=[*CONV_VARIABLES, *dense_variables(OUTPUT, 16, 1)])
KERNEL = "sequential/conv2d/kernel"
# one NaN pixel: conv2d's kernel gradient is NaN at step 1 and its kernel NaN from then on; max pooling
# drops the NaN outputs, so the loss stays finite
LOSS = [0.0258, 0.0025, 0.0029, 0.002, 0.0049, 0.0025, 0.0028, 0.002]
LAYERS = {"conv2d": {"grad_norm": [NAN, 0, 0, 0, NAN, 0, 0, 0], "update_ratio": NAN,
                     "zero_fraction": [None, 1, 1, 1, 1, 1, 1, 1]},
          "dense": {"grad_norm": [0.0939, 0.0026, 0.0092, 0.0034, 0.0063, 0.0029, 0.009, 0.0032],
                    "update_ratio": [0.003, 0.002, 0.0016, 0.0013, 0.0011, 0.0009, 0.0008, 0.0007],
                    "zero_fraction": [0, 1, 1, 1, 1, 1, 1, 1]}}
SHOTS = [shot(step, relu_output("conv2d", 4, dead), model_output("dense", "sigmoid", 1)) for step, dead in
         ((0, 0), (4, 4), (8, 4))]


def nan_pixel(nonfinite, preflight=None):
    rec = recording(MODEL, loss=LOSS, layers=LAYERS, totals={"zero_fraction": [0, 1, 1, 1, 1, 1, 1, 1]},
                    nonfinite=nonfinite, activations=SHOTS)
    return fit_evidence(line=17, model_info=MODEL, recording=rec, preflight=preflight)


def poisoned(step: int = 1) -> dict[str, NonfiniteEvent]:
    return {"gradient": NonfiniteEvent(step=step, layers=["conv2d"], variables=[KERNEL], count=1, loss=0.0258),
            "weight": NonfiniteEvent(step=step, layers=["conv2d"], variables=[KERNEL], count=1, loss=0.0258, values=4)}


def test_nan_pixel_poisons_the_conv_kernel_while_the_loss_stays_finite():
    preflight = inputs_from("x", 6, (64, 6, 6, 1), low=7e-5, high=0.9998, nonfinite=1)
    preflight.targets = [target_stats("y", 7, 64, low=0.33, high=0.68, mean=0.5, std=0.06)]
    report = check(SOURCE, nan_pixel(poisoned(), preflight))
    assert report.codes() == ["GM201", "GM310", "GM304"]
    found = report.findings[1]
    assert report.findings[found.caused_by].code == "GM201"
    assert (found.code, found.severity, found.line, found.layer, found.step) == ("GM310", "error", 11, "conv2d", 1)
    evidence = found.evidence
    assert (evidence["variables"], evidence["nonfinite_weights"], evidence["loss_nonfinite_step"]) == ([KERNEL], 4, None)
    assert (evidence["loss_at_step"], evidence["last_finite_loss"], evidence["nonfinite_inputs"]) == (0.0258, 0.002, 1)
    assert found.message == ("weights of `conv2d` turned NaN at step 1 while the reported loss still looks finite "
                             "(0.0258)")
    assert [fix.id for fix in found.fixes] == ["nan-to-num"]
    assert found.fixes[0].patched_source.splitlines()[6] == "x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)"


def test_weights_gone_nan_without_a_known_cause_are_reported_on_their_own():
    """The snapshot: where no NaN was seen in the data, GM310 leads the report (with GM201 it only follows it)."""
    report = check(SOURCE, nan_pixel(poisoned()))
    assert report.codes() == ["GM310", "GM304"]
    found = report.findings[0]
    assert (found.line, found.layer, found.step, found.fixes) == (11, "conv2d", 1, [])
    assert found.help == ("find the first NaN with `tf.debugging.enable_check_numerics()`: a NaN input or a NaN "
                          "gradient")
    assert_snapshot("GM310", render(report))


def test_a_nan_gradient_whose_update_was_skipped_is_not_gm310():
    skipped = {"gradient": poisoned()["gradient"]}  # the weights stayed finite
    assert "GM310" not in check(SOURCE, nan_pixel(skipped)).codes()


def test_a_loss_nan_on_the_first_step_after_the_bad_update_is_gm301_instead():
    with_loss = {**poisoned(), "loss": NonfiniteEvent(step=2, loss=NAN)}
    codes = check(SOURCE, nan_pixel(with_loss)).codes()
    assert "GM301" in codes and "GM310" not in codes
