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
    found = finding("broken/gm304_lr_kills_relu", "GM304")  # one cause, two layers: one finding
    first, second = found.evidence["layers"]
    assert (found.line, found.layer, found.step) == (10, "dense", 2)
    assert found.message.startswith("units of 2 layers output 0 for every sample")
    assert "`dense` (" in found.message and "`dense_1` (29/32)" in found.message
    assert (first["layer"], first["line"], first["step"]) == ("dense", 10, 7)
    assert (second["layer"], second["line"], second["step"]) == ("dense_1", 11, 2)
    assert first["initial_dead_fraction"] == 0.0625 and first["dead_fraction"] >= 0.7
    assert second["dead_units"] == 29 and second["units"] == 32
    assert first["update_ratio"] > 0.1
    assert found.help == "lower the learning rate"
    assert [fix.id for fix in found.fixes] == ["lower-learning-rate", "leaky-relu"]
    assert "Adam(learning_rate=0.01)" in found.fixes[0].patched_source
    assert found.fixes[1].patched_source.count('activation="leaky_relu"') == 2
    assert "GM307" in checked("broken/gm304_lr_kills_relu").report.codes()
    assert_all_fixes_verified("broken/gm304_lr_kills_relu", "GM304")
