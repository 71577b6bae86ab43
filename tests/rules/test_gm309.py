"""GM309 loss-plateau: the loss does not go down over the run."""

from gm3_support import assert_all_fixes_verified, finding


def test_inputs_at_1e_minus_4_leave_the_loss_at_log_2():
    found = finding("broken/gm309_tiny_inputs", "GM309")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (14, None, 1)
    evidence = found.evidence
    assert 0.69 < evidence["loss_start"] < 0.70 and abs(evidence["change"]) < 0.01
    assert evidence["steps"] == 24 and evidence["input_scale"] < 1e-3
    assert [fix.id for fix in found.fixes] == ["standardise"]
    assert_all_fixes_verified("broken/gm309_tiny_inputs", "GM309")


def test_random_labels_cannot_be_learned():
    found = finding("broken/gm309_random_labels", "GM309")
    assert (found.line, found.step) == (13, 1)
    assert 0.69 < found.evidence["loss_start"] < 0.70
    assert -0.01 < found.evidence["change"] < 0.01
    assert found.fixes == []
