"""GM307 learning-rate-high: large updates against the weights, the loss diverges."""

from gm3_support import assert_all_fixes_verified, finding


def test_adam_at_two_moves_weights_by_a_tenth_per_step():
    found = finding("broken/gm307_adam_lr_high", "GM307")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (13, None, 1)
    evidence = found.evidence
    assert evidence["learning_rate"] == 2.0 and evidence["optimizer"] == "Adam"
    assert evidence["update_ratio"] > 0.1
    assert evidence["diverged"] is True and evidence["loss_highest"] > 10 * evidence["loss_initial"]
    assert evidence["suggested_learning_rate"] == 0.01
    assert "Adam(learning_rate=0.01)" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm307_adam_lr_high", "GM307")


def test_rmsprop_positional_learning_rate_is_rewritten():
    found = finding("broken/gm307_rmsprop_lr_high", "GM307")
    assert (found.line, found.step) == (13, 1)
    assert found.evidence["optimizer"] == "RMSprop" and found.evidence["learning_rate"] == 5.0
    assert found.evidence["loss_highest"] > 1000 * found.evidence["loss_initial"]
    assert "keras.optimizers.RMSprop(0.01)" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm307_rmsprop_lr_high", "GM307")
