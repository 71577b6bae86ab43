"""GM310 weights-corrupted: NaN weights behind a loss that still looks finite."""

from gm3_support import assert_all_fixes_verified, checked, finding


def test_nan_pixel_poisons_the_conv_kernel_while_the_loss_stays_finite():
    found = finding("broken/gm310_nan_pixel", "GM310")
    assert found.severity == "error"
    assert (found.line, found.layer, found.step) == (11, "conv2d", 1)
    evidence = found.evidence
    assert evidence["variables"] == ["sequential/conv2d/kernel"]
    assert evidence["nonfinite_weights"] == 4 and evidence["loss_nonfinite_step"] is None
    assert 0 < evidence["loss_at_step"] < 1 and 0 < evidence["last_finite_loss"] < 1
    assert evidence["nonfinite_inputs"] >= 1
    codes = checked("broken/gm310_nan_pixel").report.codes()
    assert "GM301" not in codes and "GM306" not in codes
    assert "x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm310_nan_pixel", "GM310")


def test_nan_in_a_sequence_with_sgd():
    found = finding("broken/gm310_nan_step", "GM310")
    assert (found.line, found.layer, found.step) == (11, "conv1d", 1)
    assert found.evidence["nonfinite_weights"] == 12
    assert_all_fixes_verified("broken/gm310_nan_step", "GM310")
