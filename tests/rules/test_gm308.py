"""GM308 learning-rate-low: negligible updates, a loss that does not move."""

from gm3_support import assert_all_fixes_verified, finding


def test_sgd_at_one_millionth():
    found = finding("broken/gm308_sgd_lr_tiny", "GM308")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (13, None, 1)
    evidence = found.evidence
    assert evidence["update_ratio"] < 1e-5 and evidence["learning_rate"] < 1.1e-6
    assert abs(evidence["loss_change"]) < 1e-3 and evidence["steps"] == 24
    assert evidence["suggested_learning_rate"] == 0.001
    assert "SGD(learning_rate=0.001)" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm308_sgd_lr_tiny", "GM308")


def test_adam_positional_tiny_rate():
    found = finding("broken/gm308_adam_lr_tiny", "GM308")
    assert (found.line, found.step) == (13, 1)
    assert found.evidence["update_ratio"] < 1e-6
    assert "keras.optimizers.Adam(0.001)" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm308_adam_lr_tiny", "GM308")
