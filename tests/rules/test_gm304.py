"""GM304 dead-units: most units of a ReLU layer output 0 for every sample."""

from gm3_support import assert_all_fixes_verified, checked, finding


def test_negative_bias_kills_every_unit_from_the_start():
    found = finding("broken/gm304_negative_bias", "GM304")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (10, "dense", 1)
    evidence = found.evidence
    assert (evidence["dead_units"], evidence["units"], evidence["dead_fraction"]) == (32, 32, 1.0)
    assert evidence["initial_dead_fraction"] == 1.0 and evidence["zero_gradient_fraction"] == 1.0
    assert [fix.id for fix in found.fixes] == ["leaky-relu"]
    assert 'activation="leaky_relu", bias_initializer' in found.fixes[0].patched_source
    assert "GM306" not in checked("broken/gm304_negative_bias").report.codes()  # the dead layer explains it
    assert_all_fixes_verified("broken/gm304_negative_bias", "GM304")


def test_learning_rate_one_kills_both_hidden_layers():
    first = finding("broken/gm304_lr_kills_relu", "GM304", "dense")
    second = finding("broken/gm304_lr_kills_relu", "GM304", "dense_1")
    assert (first.line, first.step) == (10, 7)
    assert (second.line, second.step) == (11, 2)
    assert first.evidence["initial_dead_fraction"] == 0.0625 and first.evidence["dead_fraction"] >= 0.7
    assert second.evidence["dead_units"] == 29 and second.evidence["units"] == 32
    assert first.evidence["update_ratio"] > 0.1
    assert first.help == "lower the learning rate"
    assert [fix.id for fix in first.fixes] == ["lower-learning-rate", "leaky-relu"]
    assert "Adam(learning_rate=0.01)" in first.fixes[0].patched_source
    assert first.fixes[1].patched_source.count('activation="leaky_relu"') == 2
    assert "GM307" in checked("broken/gm304_lr_kills_relu").report.codes()
    assert_all_fixes_verified("broken/gm304_lr_kills_relu", "GM304")
