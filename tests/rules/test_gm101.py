"""GM101 shape-mismatch: targets and outputs of shapes the loss cannot compare."""

from preflight_support import assert_every_fix_verified, check_broken, finding


def test_seed_cce_on_one_linear_unit_with_ten_target_columns():
    # Keras 3.15 raises a shape error at the first step; gradmagic names the layer to change.
    run = check_broken("gm101_cce_one_unit_ten_columns")
    assert run.report.fits[0].status == "failed"
    assert run.report.fits[0].exception_type == "ValueError"
    assert "must have the same shape" in run.report.fits[0].exception_message
    found = finding(run, "GM101", "error", line=12)
    assert found.layer == "dense_1"
    assert found.message == "targets have 10 columns but the model outputs 1"
    assert found.evidence["target_shape"] == [64, 10]
    assert found.evidence["output_shape"] == [None, 1]
    assert found.evidence["target_columns"] == 10 and found.evidence["output_units"] == 1
    assert found.evidence["target_encoding"] == "one-hot"
    assert "GM103" not in run.report.codes()  # the shape is the problem, not the single unit
    fix = found.fixes[0]
    assert 'keras.layers.Dense(10, activation="softmax"),' in fix.patched_source
    assert_every_fix_verified(run, "GM101")


def test_mse_broadcasts_three_target_columns_onto_one_unit_silently():
    run = check_broken("gm101_mse_three_targets_one_unit")
    assert run.report.fits[0].status == "completed"  # no error from Keras: the loss broadcasts
    found = finding(run, "GM101", "error", line=11)
    assert found.message == "targets have 3 columns but the model outputs 1"
    assert found.evidence["target_shape"] == [64, 3]
    assert found.evidence["loss"] == "mean_squared_error"
    assert any("does not raise" in note for note in found.notes)
    assert "keras.layers.Dense(3)(hidden)" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM101")
