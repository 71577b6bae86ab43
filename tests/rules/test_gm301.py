"""GM301 nonfinite-training: the first step and op where the loss, a gradient or a weight went NaN/Inf."""

import math

from gm3_support import assert_all_fixes_verified, checked, finding


def test_log_of_a_linear_output_names_the_op_line_and_step():
    found = finding("broken/gm301_log_loss", "GM301")
    assert found.severity == "error"
    assert (found.line, found.layer, found.step) == (11, None, 1)
    assert found.evidence["what"] == "the loss" and found.evidence["value"] == "NaN"
    assert found.evidence["op"] == "Log" and found.evidence["stage"] == "loss"
    assert found.evidence["loss_nonfinite_step"] == 1
    assert found.evidence["nonfinite_gradient_variables"] == 0  # d log(p)/dp = 1/p stays finite
    assert "`log` on line 11" in found.message
    assert [fix.id for fix in found.fixes] == ["guard-op"]
    assert "tf.math.log(tf.maximum(y_pred, 1e-7))" in found.fixes[0].patched_source
    assert "tf.math.log(tf.maximum(1.0 - y_pred, 1e-7))" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm301_log_loss", "GM301")


def test_diverging_sgd_overflows_at_step_10_on_the_optimizer_line():
    found = finding("broken/gm301_lr_diverges", "GM301")
    assert (found.line, found.layer, found.step) == (13, None, 10)
    assert found.evidence["value"] == "Inf"
    assert found.evidence["layers"] == ["dense", "dense_1"]
    assert found.evidence["learning_rate"] == 0.5
    assert found.evidence["loss_growth"] > 1e20
    assert found.evidence["nonfinite_weights_after_fit"] > 0
    assert "overflowed" in " ".join(found.notes)
    fix = found.fixes[0]
    assert fix.id == "lower-learning-rate"
    assert "keras.optimizers.SGD(learning_rate=0.001)" in fix.patched_source
    assert_all_fixes_verified("broken/gm301_lr_diverges", "GM301")
    history = checked("broken/gm301_lr_diverges").report.history["fits"][0]
    assert history["nonfinite"]["loss"]["step"] == 10
    assert history["series"]["loss"]["mean"][9] is None  # JSON-safe: NaN/Inf become null in series
    assert math.isclose(history["series"]["loss"]["mean"][0], 9.35, rel_tol=0.01)
