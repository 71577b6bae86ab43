"""GM302 exploding-gradients: the gradient norm grows out of bounds."""

from gm3_support import assert_all_fixes_verified, checked, finding


def test_momentum_sgd_gradient_grows_a_hundred_thousandfold():
    found = finding("broken/gm302_momentum_blowup", "GM302")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (13, "dense", 11)
    evidence = found.evidence
    assert evidence["kind"] == "growth" and evidence["overflowed"] is False
    assert 5 < evidence["initial_norm"] < 8
    assert evidence["peak_norm"] > 1e6 and evidence["peak_step"] == 16
    assert evidence["growth"] > 1e5
    assert [fix.id for fix in found.fixes] == ["clipnorm", "lower-learning-rate"]
    assert "SGD(learning_rate=0.15, momentum=0.9, clipnorm=1.0)" in found.fixes[0].patched_source
    assert "GM301" not in checked("broken/gm302_momentum_blowup").report.codes()
    assert_all_fixes_verified("broken/gm302_momentum_blowup", "GM302")


def test_deep_linear_stack_explodes_within_four_steps():
    found = finding("broken/gm302_deep_linear", "GM302")
    assert (found.line, found.layer, found.step) == (14, "dense", 4)
    assert found.evidence["peak_step"] == 4
    assert 700 < found.evidence["initial_norm"] < 800
    assert found.evidence["growth"] > 1e4
    assert found.evidence["learning_rate"] == 0.012
    assert_all_fixes_verified("broken/gm302_deep_linear", "GM302")
