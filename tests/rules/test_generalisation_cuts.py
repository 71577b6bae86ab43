"""Issue 9, classes 1-6, on programs written for these tests (not the real-world cases).

1. the gradient cut names the op the user wrote, on the line and in the layer where it is written;
2. `run_eagerly=True` is followed: `.numpy()` on `y_pred` cuts, on `y_true` it does not;
3. nested models are read to their innermost last layer;
4. a loop of `fit` calls gives one finding per cause, with the fits it appeared in;
5. `model.add(Activation(...))` findings point at the `Activation` line and name that layer;
6. data faults point at the line that introduces the bad values, not a later copy or cast.
"""

from __future__ import annotations

import pytest
from helpers import assert_fix_verified, check_program, only

from gradmagic.report.model import Report

SERIOUS = ("error", "warning")


def broken(name: str):
    return check_program(f"broken/{name}")


def serious_codes(report: Report) -> set[str]:
    return {f.code for f in report.findings if f.severity in SERIOUS}


def assert_no_new_serious(run, patched) -> None:
    """The re-check of the patched program brings no error/warning code the original did not have."""
    new = serious_codes(patched.report) - serious_codes(run.report)
    assert not new, (new, [(f.code, f.message) for f in patched.report.findings])


def assert_all_fits_completed(patched) -> None:
    assert patched.report.fits
    for index in range(len(patched.report.fits)):
        assert patched.report.fits[index].status == "completed", patched.report.fits[index]


# --- 1. the cut names the op the user wrote -------------------------------------------------


def test_argsort_ranking_loss_cut_is_the_argsort_of_the_prediction():
    run = broken("gm003_argsort_rank_loss")
    cut = only(run.report, "GM003")
    # line 11 argsorts y_true (no weights behind it), line 13 argsorts the indices of line 12:
    # the first op on the value path from the weights is the argsort of y_pred on line 12.
    assert (cut.severity, cut.line, cut.layer) == ("error", 12, None)
    assert cut.evidence["op"] == "TopKV2"
    assert cut.evidence["output_dtype"] == "int32"
    assert cut.evidence["reason"] == "integer-output"
    assert "`tf.argsort`" in cut.message
    assert "Shape" not in cut.message and "Shape" not in cut.evidence["op_name"]
    assert only(run.report, "GM001").line == 12
    assert run.report.fits[0].status == "failed"
    fix = cut.fixes[0]
    assert fix.id == "builtin-loss"
    assert "loss=rank_gap" not in fix.patched_source
    patched = assert_fix_verified(run, "GM003")
    assert "GM001" not in patched.report.codes()
    assert_all_fits_completed(patched)


def test_argmax_inside_a_lambda_names_the_lambda_layer_and_offers_a_soft_argmax():
    run = broken("gm003_lambda_argmax_bucket")
    cut = only(run.report, "GM003")
    assert (cut.severity, cut.line, cut.layer) == ("error", 12, "pick_bucket")
    assert cut.evidence["op"] == "ArgMax"
    assert cut.evidence["output_dtype"] == "int64"
    assert "`tf.math.argmax`" in cut.message
    assert "Shape" not in cut.message
    fix = cut.fixes[0]
    assert fix.id == "soft-argmax"
    assert "argmax" not in fix.patched_source.splitlines()[11]
    assert "softmax(s, axis=-1)" in fix.patched_source.splitlines()[11]
    assert fix.patched_source.splitlines()[12] == run.report.source.splitlines()[12]  # the cast Lambda stays
    patched = assert_fix_verified(run, "GM003")
    assert "GM001" not in patched.report.codes()
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_round_in_a_subclassed_layer_inside_a_subclassed_model():
    run = broken("gm003_subclassed_round_snap")
    cut = only(run.report, "GM003")
    assert (cut.line, cut.layer) == (16, "snap")  # `return tf.round(x * self.steps) / self.steps`
    assert cut.evidence["op"] == "Round" and cut.evidence["reason"] == "no-gradient"
    assert "`tf.round`" in cut.message and "Shape" not in cut.message
    partial = only(run.report, "GM002")
    assert partial.evidence["layers_without_gradient"] == ["front"]
    assert run.report.fits[0].status == "completed"  # Keras only warns: `front` silently never learns
    fix = cut.fixes[0]
    assert fix.id == "straight-through"
    snapped = fix.patched_source.splitlines()[15]
    assert "tf.stop_gradient(tf.round(x * self.steps) - " in snapped  # same values forward
    assert snapped.rstrip().endswith("/ self.steps")
    patched = assert_fix_verified(run, "GM003")
    assert "GM002" not in patched.report.codes()
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_comparison_mask_in_a_loss_is_the_cut():
    run = broken("gm003_threshold_mask_loss")
    cut = only(run.report, "GM003")
    assert (cut.line, cut.layer) == (11, None)  # `predicted_on = tf.cast(y_pred > 0.5, tf.float32)`
    assert cut.evidence["op"] == "Greater"
    assert cut.evidence["output_dtype"] == "bool"
    assert "`>`" in cut.message and "Shape" not in cut.message
    assert run.report.fits[0].status == "failed"
    fix = cut.fixes[0]
    assert fix.id == "builtin-loss"
    assert 'loss="binary_crossentropy"' in fix.patched_source
    patched = assert_fix_verified(run, "GM003")
    assert "GM001" not in patched.report.codes()
    assert_all_fits_completed(patched)


def test_comparison_in_a_custom_train_step_says_no_rewrite_exists():
    run = broken("gm003_train_step_hard_threshold")
    cut = only(run.report, "GM003")
    assert (cut.line, cut.layer) == (24, None)  # `decision = tf.cast(margin > 0.0, tf.float32)`
    assert cut.evidence["op"] == "Greater"
    assert "Shape" not in cut.message
    assert cut.fixes == []
    assert any("no mechanical rewrite" in note for note in cut.notes)
    assert only(run.report, "GM001").line == 24


def test_metric_object_as_the_loss_is_replaced_by_its_loss_class():
    run = broken("gm003_metric_object_as_loss")
    metric = next(f for f in run.report.by_code("GM003") if "metric" in f.evidence)
    assert metric.line == 22  # `loss=keras.metrics.MeanAbsoluteError(),`
    assert metric.evidence["metric"] == "MeanAbsoluteError"
    assert "`keras.metrics.MeanAbsoluteError`" in metric.message
    assert run.report.by_code("GM003")[0] is metric  # the metric finding comes first
    fix = metric.fixes[0]
    assert (fix.id, fix.safety) == ("metric-to-loss", "safe")
    assert "    loss=keras.losses.MeanAbsoluteError(),\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM003")
    assert patched.report.codes() == [], patched.report.codes()
    assert_all_fits_completed(patched)


def test_metric_object_as_the_loss_is_one_finding():
    run = broken("gm003_metric_object_as_loss")
    cut = only(run.report, "GM003")
    assert cut.line == 22
    assert all("AssignVariableOp" not in f.message for f in run.report.findings)


# --- 2. execution mode ----------------------------------------------------------------------


def test_eager_numpy_on_the_prediction_cuts_the_gradient():
    run = broken("gm004_eager_numpy_prediction")
    found = only(run.report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 12, None)  # `guess = y_pred.numpy()`
    assert found.evidence["construct"] == ".numpy()"
    assert found.evidence["function"] == "relative_error"
    assert "symbolic" not in found.message.lower()
    assert all("symbolic" not in note.lower() for note in found.notes)
    assert "GM003" not in run.report.codes()
    fix = found.fixes[0]
    assert fix.id == "keep-in-tensorflow"
    lines = fix.patched_source.splitlines()
    assert ".numpy()" not in lines[11]
    assert "tf.reduce_mean(tf.square(" in fix.patched_source  # the rest of the loss stays in TF
    patched = assert_fix_verified(run, "GM004")
    assert "GM001" not in patched.report.codes()
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_eager_numpy_on_the_targets_only_trains():
    run = broken("gm004_ok_eager_numpy_truth_only")
    assert run.error is None, repr(run.error)
    assert run.report.fits[0].status == "completed"
    for code in ("GM004", "GM001", "GM003"):
        assert code not in run.report.codes(), run.report.codes()
    losses = run.namespace["history"].history["loss"]
    assert losses[-1] < losses[0]


# --- 3. nested models -----------------------------------------------------------------------


def test_gan_stack_reads_the_discriminators_sigmoid():
    run = broken("gm104_ok_gan_nested_sigmoid")
    assert [f.status for f in run.report.fits] == ["completed", "completed"]
    assert "GM104" not in run.report.codes(), [(f.code, f.message) for f in run.report.findings]
    assert "GM106" not in run.report.codes()
    assert not [f for f in run.report.findings if f.severity == "error"]


def test_transfer_learning_nested_base_and_nested_softmax_head():
    run = broken("gm104_ok_nested_transfer_softmax")
    assert run.report.fits[0].status == "completed"
    for code in ("GM103", "GM104", "GM105"):
        assert code not in run.report.codes(), [(f.code, f.message) for f in run.report.findings]
    assert not [f for f in run.report.findings if f.severity == "error"]


def test_nested_base_with_a_linear_head_still_fires_at_the_head():
    run = broken("gm104_nested_base_linear_head")
    found = only(run.report, "GM104")
    assert (found.line, found.layer) == (16, "speech_logit")  # not the nested backbone's relu
    assert found.evidence["activation"] == "linear"
    assert found.evidence["loss"] == "binary_crossentropy"
    patched = assert_fix_verified(run, "GM104")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


# --- 4. one finding per cause ---------------------------------------------------------------


def test_twelve_fits_of_one_broken_model_give_one_finding():
    run = broken("gm104_refit_loop_linear_bce")
    assert len(run.report.fits) == 12
    found = only(run.report, "GM104")
    assert found.evidence["fits"] == list(range(12))
    assert (found.line, found.layer) == (11, "dense_1")
    assert len(run.report.findings) <= 5, run.report.codes()
    assert len(run.report.codes()) == len(set(run.report.codes())), run.report.codes()
    patched = assert_fix_verified(run, "GM104")
    assert len(patched.report.fits) == 12
    assert_all_fits_completed(patched)


# --- 5. layer lines -------------------------------------------------------------------------


def test_added_sigmoid_activation_on_a_regression_points_at_the_activation():
    run = broken("gm106_add_sigmoid_activation")
    found = only(run.report, "GM106")
    assert (found.severity, found.line, found.layer) == ("error", 13, "activation")
    assert found.evidence["activation"] == "sigmoid"
    assert found.evidence["target_min"] > 10.0 and found.evidence["target_max"] < 100.0
    fix = found.fixes[0]
    assert fix.id == "linear-output"
    patched = assert_fix_verified(run, "GM106")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_added_softmax_activation_on_a_regression_points_at_the_activation():
    run = broken("gm103_add_softmax_activation")
    found = only(run.report, "GM103")
    assert (found.severity, found.line, found.layer) == ("error", 13, "activation")
    assert found.evidence["activation"] == "softmax"
    assert found.evidence["output_min"] == pytest.approx(1.0) == found.evidence["output_max"]
    fix = found.fixes[0]
    assert fix.id == "linear-output"
    assert 'model.add(Activation("softmax"))' not in fix.patched_source
    patched = assert_fix_verified(run, "GM103")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_softmax_head_under_mae_does_not_claim_the_loss_moves():
    run = broken("gm103_add_softmax_activation")
    found = only(run.report, "GM103")
    losses = run.namespace["history"].history["loss"]
    assert losses[-1] == pytest.approx(losses[0], rel=1e-3)  # MAE on the always-1.0 softmax output: nothing can move
    assert all("the loss moves" not in note for note in found.notes), found.notes


# --- 6. data provenance ---------------------------------------------------------------------


def test_nan_is_reported_where_the_table_is_built_not_at_the_slice_or_cast():
    run = broken("gm201_nan_literal_sliced_astype")
    found = only(run.report, "GM201")
    assert (found.severity, found.line) == ("error", 6)  # the `np.array([... float("nan") ...])`
    assert found.evidence["array"] == "inputs"
    assert (found.evidence["nan_count"], found.evidence["first_row"], found.evidence["first_column"]) == (1, 7, 2)
    fix = found.fixes[0]
    assert fix.id == "drop-nonfinite-rows"
    patched = assert_fix_verified(run, "GM201")
    assert_all_fits_completed(patched)
    assert "GM301" not in patched.report.codes()


def test_inf_is_reported_at_the_division_not_the_float32_copy():
    run = broken("gm201_inf_from_zero_column_division")
    found = only(run.report, "GM201")
    assert (found.severity, found.line) == ("error", 9)  # `per_visit = counts / visits`
    assert found.evidence["array"] == "features"
    assert found.evidence["inf_count"] == 12 and found.evidence["nan_count"] == 0
    assert found.evidence["rows_with_nonfinite"] == 4
    patched = assert_fix_verified(run, "GM201")
    assert_all_fits_completed(patched)
    assert "GM310" not in patched.report.codes()


def test_labels_one_and_two_from_np_where_point_at_the_where():
    run = broken("gm106_where_labels_one_two")
    found = only(run.report, "GM106")
    assert (found.severity, found.line, found.layer) == ("error", 6, "is_faulty")  # `np.where(..., 2, 1)`
    assert (found.evidence["target_min"], found.evidence["target_max"]) == (1.0, 2.0)
    fix = found.fixes[0]
    assert fix.id == "labels-to-01"
    patched_lines = fix.patched_source.splitlines()
    original_lines = run.report.source.splitlines()
    assert patched_lines[:5] == original_lines[:5]  # the edit starts at the np.where line or after it
    patched = assert_fix_verified(run, "GM106")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_scaled_class_ids_point_at_the_scaling_line():
    run = broken("gm105_scaled_class_ids")
    found = only(run.report, "GM105")
    assert (found.severity, found.line, found.layer) == ("error", 8, "dense_1")  # `digit = digit / 10`
    assert found.evidence["integral"] is False
    assert found.evidence["target_max"] == pytest.approx(0.9)
    fix = found.fixes[0]
    assert fix.id == "keep-integer-ids"
    assert "digit = digit / 10\n" not in fix.patched_source
    patched = assert_fix_verified(run, "GM105")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_constant_column_standardised_by_a_named_std():
    run = broken("gm203_named_std_constant_column")
    found = only(run.report, "GM203")
    assert (found.severity, found.line) == ("error", 10)  # `X = (X - mu) / sd`
    assert found.evidence["columns"] == [3]
    assert found.evidence["array"] == "X"
    fix = found.fixes[0]
    assert fix.id == "guard-zero-std"
    patched = assert_fix_verified(run, "GM203")
    assert_all_fits_completed(patched)
    for code in ("GM201", "GM310"):
        assert code not in patched.report.codes(), patched.report.codes()


def test_dataset_of_features_only_points_at_from_tensor_slices():
    run = broken("gm006_dataset_features_only")
    found = only(run.report, "GM006")
    assert (found.severity, found.line) == ("error", 8)  # `tf.data.Dataset.from_tensor_slices(features)`
    assert found.evidence["has_targets"] is False
    fix = found.fixes[0]
    assert fix.id == "dataset-with-labels"
    assert "from_tensor_slices((features, labels))" in fix.patched_source
    patched = assert_fix_verified(run, "GM006")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)


def test_unscaled_column_stack_points_at_the_array_fit_gets():
    run = broken("gm202_column_stack_unscaled")
    found = only(run.report, "GM202")
    assert (found.severity, found.line) == ("warning", 9)  # `X = data.astype("float32")`
    assert found.evidence["array"] == "X"
    assert found.evidence["max"] > 10_000
    patched = assert_fix_verified(run, "GM202")
    assert_all_fits_completed(patched)
    assert_no_new_serious(run, patched)
