"""Issue 9, classes 7-12, on programs written for these tests (tests/programs/broken/gen_*.py):
a NaN made by the user's own op, dynamics that point at their cause, failures that went unseen,
errors raised inside ``fit``, mechanical fixes, and what the CPU's kernels change."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from functools import lru_cache

import pytest
from helpers import assert_fix_verified, check_source, program
from gm3_support import checked

from gradmagic.pipeline.run import SourceRun
from gradmagic.report.model import Finding

LEVELS = ("error", "warning")


def one(name: str, code: str) -> Finding:
    found = checked(f"broken/{name}").report.by_code(code)
    assert len(found) == 1, (code, checked(f"broken/{name}").report.codes())
    return found[0]


@lru_cache(maxsize=None)
def first_fix(name: str, code: str) -> SourceRun:
    """The first fix of ``code``: its patched source checks clean of ``code`` and every fit completes."""
    return assert_fix_verified(checked(f"broken/{name}"), code)


def new_problems(name: str, code: str) -> set[str]:
    """Error/warning codes the re-check of the first fix brings that the original run did not have."""
    before = set(checked(f"broken/{name}").report.codes())
    after = {f.code for f in first_fix(name, code).report.findings if f.severity in LEVELS}
    return after - before


def losses(run: SourceRun) -> list[float]:
    return [float(v) for v in run.namespace["history"].history["loss"]]


def assert_learns(run: SourceRun) -> None:
    values = losses(run)
    assert all(math.isfinite(v) for v in values), values
    assert values[-1] < values[0], values


def line_of(name: str, text: str) -> int:
    """The 1-based line of the program that contains ``text`` (exactly once)."""
    lines = [number for number, code in enumerate(program(f"broken/{name}").read_text().splitlines(), 1)
             if text in code]
    assert len(lines) == 1, (text, lines)
    return lines[0]


# -- 7. a NaN made by the user's own op ----------------------------------------------------------
def test_log_of_a_softmax_probability_that_underflows_names_the_log_line():
    name = "gen_softmax_log_loss"
    found = one(name, "GM301")
    assert found.severity == "error"
    assert found.line == line_of(name, "tf.math.log(y_pred)") == 11
    assert found.layer is None
    assert found.evidence["op"] == "Log" and found.evidence["stage"] == "loss"
    assert found.evidence["what"] == "the loss" and found.evidence["value"] == "NaN"
    assert found.step == found.evidence["loss_nonfinite_step"] > 1  # it trained a few steps first
    assert "`log` on line 11" in found.message
    assert found.fixes[0].id == "guard-op"
    # the high learning rate is the cause the NaN follows from
    cause = one(name, "GM307")
    assert cause.line == line_of(name, "Adam(learning_rate=0.5)") and cause.caused_by is None
    assert checked(f"broken/{name}").report.findings.index(cause) == found.caused_by
    patched = first_fix(name, "GM301")
    assert "tf.math.log(tf.maximum(y_pred, 1e-7))" in found.fixes[0].patched_source
    assert all(math.isnan(v) for v in losses(checked(f"broken/{name}")))
    assert_learns(patched)
    assert not new_problems(name, "GM301"), patched.report.codes()


def test_sqrt_of_a_negative_linear_prediction_names_the_sqrt_line():
    name = "gen_sqrt_loss"
    assert all(math.isnan(v) for v in losses(checked(f"broken/{name}")))  # NaN from the first step
    found = one(name, "GM301")
    assert found.step == 1
    assert found.evidence["op"] == "Sqrt"
    assert found.line == line_of(name, "tf.sqrt(y_pred)") == 11
    assert found.fixes and found.fixes[0].id == "guard-op"
    assert "tf.sqrt(tf.maximum(y_pred, 1e-12))" in found.fixes[0].patched_source
    assert_learns(first_fix(name, "GM301"))


# -- 8. dynamics point at their cause ------------------------------------------------------------
def test_relu_units_killed_by_adam_point_at_the_optimizer_line():
    name = "gen_adam_kills_relu_functional"
    optimizer_line = line_of(name, "Adam(learning_rate=1.5)")
    found = one(name, "GM304")
    assert found.severity == "warning"
    assert found.line == optimizer_line == 13
    assert found.layer == "dense"
    layers = {item["layer"]: item for item in found.evidence["layers"]}
    assert set(layers) == {"dense", "dense_1"}
    for item in layers.values():  # alive before the first step, dead after it
        assert item["initial_dead_fraction"] < 0.5 and item["dead_fraction"] == 1.0
    assert found.evidence["early_update_ratio"] > 0.1
    assert "killed by too large first updates" in " ".join(item["message"] for item in layers.values())
    assert [fix.id for fix in found.fixes] == ["lower-learning-rate", "leaky-relu"]
    assert "keras.optimizers.Adam(learning_rate=0.001)" in found.fixes[0].patched_source
    rate = one(name, "GM307")
    assert rate.line == optimizer_line and rate.caused_by is None
    assert rate.evidence["killed_units"] is True and rate.evidence["learning_rate"] == 1.5
    assert [fix.id for fix in rate.fixes] == ["lower-learning-rate"]
    patched = first_fix(name, "GM304")
    assert "GM307" not in patched.report.codes()
    assert_learns(patched)
    assert not new_problems(name, "GM304"), patched.report.codes()


def test_random_normal_stddev_2_in_a_six_layer_relu_mlp_is_the_initialiser():
    name = "gen_wide_init_deep_relu"
    found = one(name, "GM302")
    assert found.evidence["kind"] == "initialisation"
    assert found.line == line_of(name, "RandomNormal(stddev=2.0)") == 10  # the layer line (in the loop)
    assert found.layer == "dense" and found.step == 0
    assert found.evidence["layers"] == 6 and found.evidence["growth_per_layer"] > 2
    assert found.evidence["last_mean_abs"] > 1e3
    assert found.fixes[0].id == "initializer"
    assert 'kernel_initializer="he_normal"' in found.fixes[0].patched_source
    assert "RandomNormal" not in found.fixes[0].patched_source
    patched = first_fix(name, "GM302")
    assert_learns(patched)
    assert not new_problems(name, "GM302"), patched.report.codes()


def test_a_shared_init_variable_is_fixed_where_it_is_assigned():
    name = "gen_shared_init_variable"
    found = one(name, "GM302")
    assert found.evidence["kind"] == "initialisation"
    assert found.line == line_of(name, "init = keras.initializers.RandomNormal") == 8
    assert found.layer == "dense"
    assert found.fixes[0].id == "initializer"
    assert "init = keras.initializers.HeNormal()" in found.fixes[0].patched_source
    assert found.fixes[0].patched_source.count("kernel_initializer=init") == 5  # the layers are untouched
    patched = first_fix(name, "GM302")
    assert "GM309" not in patched.report.codes()  # the plateau followed from the initialiser
    assert_learns(patched)


def test_tf_sign_in_a_custom_layer_names_the_sign_line():
    name = "gen_sign_layer"
    found = one(name, "GM306")
    assert found.line == line_of(name, "tf.sign(inputs)") == 8
    assert found.layer == "binarize"
    assert found.evidence["op"] == "Sign"
    assert found.evidence["silent_layers"] == ["dense"]
    assert "`tf.sign`" in found.message
    assert [fix.id for fix in found.fixes] == ["straight-through"]
    assert "tf.stop_gradient" in found.fixes[0].patched_source
    patched = first_fix(name, "GM306")
    assert "GM309" not in patched.report.codes()
    assert_learns(patched)
    assert not new_problems(name, "GM306"), patched.report.codes()


# -- 9. failures that went unseen --------------------------------------------------------------
def test_dataset_map_with_a_label_key_that_names_no_output():
    name = "gen_dataset_label_key"
    run = checked(f"broken/{name}")
    found = one(name, "GM007")
    assert found.severity == "error"
    assert found.line == line_of(name, "stream.map(") == 11  # not the from_tensor_slices, shuffle or fit line
    assert found.layer == "positive"
    # the keys come from the shuffled dataset's element_spec
    assert found.evidence["target_keys"] == ["is_positive", "amount"]
    assert found.evidence["output_keys"] == ["positive", "amount"]
    assert "`is_positive`" in found.message
    assert run.report.fits[0].status == "failed"
    assert found.fixes[0].id == "rename-target-key" and found.fixes[0].safety == "safe"
    assert '{"positive": f, "amount": a}' in found.fixes[0].patched_source
    patched = first_fix(name, "GM007")
    assert_learns(patched)
    assert not new_problems(name, "GM007"), patched.report.codes()


def test_dataset_label_key_for_a_single_tensor_output_gets_a_fix_that_trains():
    name = "gen_dataset_label_key_single_output"
    found = one(name, "GM007")
    assert found.line == line_of(name, "stream.map(") == 10
    assert found.layer == "positive"
    assert found.evidence["target_keys"] == ["is_positive"]
    assert_learns(first_fix(name, "GM007"))


def test_class_ids_divided_by_a_constant_into_a_sparse_loss():
    name = "gen_fractional_class_ids"
    found = one(name, "GM105")
    assert found.severity == "error"
    assert found.line == line_of(name, "band = band / 3.0") == 7
    assert found.layer == "dense_1"
    assert found.evidence["integral"] is False and found.evidence["target_max"] == 1.0
    assert found.evidence["output_units"] == 4
    assert found.fixes[0].id == "keep-integer-ids"
    assert "band / 3.0" not in found.fixes[0].patched_source
    patched = first_fix(name, "GM105")
    assert_learns(patched)
    assert not new_problems(name, "GM105"), patched.report.codes()


@pytest.mark.parametrize("name, names, classes", [
    ("gen_shuffled_apart", ["X", "y"], 2),
    ("gen_shuffled_apart_tuple", ["samples", "kinds"], 3),
    ("gen_shuffled_apart_in_place", ["readings", "kinds"], 3),  # np.random.shuffle(x); np.random.shuffle(y)
])
def test_inputs_and_labels_shuffled_apart_stay_at_the_prior_loss(name, names, classes):
    found = one(name, "GM309")
    first_shuffle = min(line for line, code in enumerate(program(f"broken/{name}").read_text().splitlines(), 1)
                        if ".permutation(" in code or ".shuffle(" in code)
    assert found.line == first_shuffle == 8
    assert found.evidence["shuffled_apart"] == names
    assert math.isclose(found.evidence["prior_loss"], math.log(classes), rel_tol=0.01)  # balanced classes
    assert found.evidence["loss_end"] >= 0.97 * found.evidence["prior_loss"]
    assert found.fixes[0].id == "one-permutation"
    patched = first_fix(name, "GM309")
    assert_learns(patched)
    assert losses(patched)[-1] < 0.9 * found.evidence["prior_loss"]  # the labels belong to their rows again
    assert not new_problems(name, "GM309"), patched.report.codes()


def test_a_classifier_shuffled_with_one_permutation_gets_no_plateau():
    source = program("broken/gen_shuffled_apart").read_text().replace(
        "X = rng.permutation(X)\ny = rng.permutation(y)\n",
        "order = rng.permutation(len(X))\nX, y = X[order], y[order]\n")
    assert "order" in source
    run = check_source(source, "/tmp/gen_shuffled_together.py")
    assert run.error is None and run.report.fits[0].status == "completed"
    assert "GM309" not in run.report.codes(), run.report.codes()
    assert_learns(run)


# -- 10. an error raised inside fit that no rule explains --------------------------------------
def test_value_error_raised_in_a_custom_call_is_reported_with_its_line(tmp_path):
    path = program("broken/gen_layer_raises_in_call")
    out = tmp_path / "report.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-m", "gradmagic", "check", str(path), "--json", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads(out.read_text())
    [fit] = report["fits"]
    assert fit["status"] == "failed"
    assert fit["exception_type"] == "ValueError"
    assert "even number of features" in fit["exception_message"]
    assert fit["line"] == line_of("gen_layer_raises_in_call", "model.fit(")
    assert fit["exception_line"] == line_of("gen_layer_raises_in_call", "raise ValueError") == 8
    assert report["script_exit"]["exception_type"] == "ValueError"


# -- 11. mechanical fixes --------------------------------------------------------------------------
def test_learning_rate_fix_edits_an_sgd_assigned_to_a_variable():
    name = "gen_sgd_variable_lr_high"
    line = line_of(name, "step_rule = keras.optimizers.SGD(learning_rate=0.9)")
    found = one(name, "GM307")
    assert found.line == line == 8
    assert found.evidence["optimizer"] == "SGD" and found.evidence["learning_rate"] == 0.9
    assert found.evidence["diverged"] is True
    fix = found.fixes[0]
    assert fix.id == "lower-learning-rate"
    patched_lines = fix.patched_source.splitlines()
    assert patched_lines[line - 1] == "step_rule = keras.optimizers.SGD(learning_rate=0.001)"
    assert "regressor.compile(optimizer=step_rule, loss=\"mse\")" in fix.patched_source
    # the NaN follows from the learning rate
    nonfinite = one(name, "GM301")
    assert nonfinite.line == line and nonfinite.caused_by is not None
    patched = first_fix(name, "GM307")
    assert not {"GM301", "GM302"} & set(patched.report.codes())
    assert_learns(patched)


def test_linear_output_with_bce_in_a_functional_model_gets_its_activation():
    name = "gen_functional_logits_bce"
    found = one(name, "GM104")
    assert found.severity == "error"
    assert found.line == line_of(name, 'keras.layers.Dense(1, name="alarm_score")(hidden)') == 10
    assert found.layer == "alarm_score"
    assert found.evidence["activation"] == "linear" and found.evidence["output_min"] < 0
    assert found.fixes[0].id == "add-activation"
    assert 'keras.layers.Dense(1, name="alarm_score", activation="sigmoid")(hidden)' in found.fixes[0].patched_source \
        or 'keras.layers.Dense(1, activation="sigmoid", name="alarm_score")(hidden)' in found.fixes[0].patched_source
    patched = first_fix(name, "GM104")
    assert not {"GM306", "GM309"} & set(patched.report.codes())
    assert_learns(patched)
    assert not new_problems(name, "GM104"), patched.report.codes()


def test_zero_gradients_of_a_clipped_linear_output_follow_from_gm104():
    name = "gen_functional_logits_bce"
    report = checked(f"broken/{name}").report
    causes = [f.code for f in report.findings if f.caused_by is None]
    assert causes == ["GM104"], causes


# -- 12. what the CPU's kernels change -------------------------------------------------------------
def _check_with_onednn(flag: str, tmp_path) -> dict:
    out = tmp_path / f"report_{flag}.json"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": flag, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-m", "gradmagic", "check", str(program("broken/gen_nan_from_row_shares")),
                           "--json", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("flag", ["0", "1"])
def test_nan_from_a_zero_row_division_with_and_without_onednn(flag, tmp_path):
    report = _check_with_onednn(flag, tmp_path)
    division = line_of("gen_nan_from_row_shares", "counts / counts.sum(axis=1, keepdims=True)")
    causes = [f for f in report["findings"] if f["caused_by"] is None]
    assert [(f["code"], f["line"]) for f in causes] == [("GM201", division)], flag
    cause = causes[0]
    assert cause["evidence"]["nan_count"] == 5 and cause["evidence"]["first_row"] == 40
    followed = [f for f in report["findings"] if f["caused_by"] is not None]
    assert {"GM301", "GM310"} & {f["code"] for f in followed}, flag
    assert all(report["findings"][f["caused_by"]]["code"] == "GM201" for f in followed)
    assert [fit["status"] for fit in report["fits"]] == ["completed"]
    nonfinite = report["history"]["fits"][0]["nonfinite"]
    assert "weight" in nonfinite  # either way the weights are lost
    if flag == "0":  # plain kernels: relu(nan) is nan and the loss is NaN from the first batch on
        gm301 = next(f for f in followed if f["code"] == "GM301")
        assert gm301["evidence"]["what"] == "the loss"
        assert "loss" in nonfinite
