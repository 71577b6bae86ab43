"""GM305 saturated-activations: most sigmoid/tanh outputs sit in the flat region."""

from gm3_support import assert_all_fixes_verified, finding


def test_unscaled_inputs_saturate_the_sigmoid_layer():
    found = finding("broken/gm305_unscaled_sigmoid", "GM305")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (10, "dense", 1)
    evidence = found.evidence
    assert evidence["activation"] == "sigmoid" and evidence["saturated_fraction"] == 1.0
    assert evidence["initial_saturated_fraction"] > 0.99 and evidence["saturated_units"] == 16
    assert 990 < evidence["input_scale"] < 1000
    assert [fix.id for fix in found.fixes] == ["standardise"]
    assert "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)" in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm305_unscaled_sigmoid", "GM305")


def test_large_initialiser_saturates_tanh_but_not_the_output():
    found = finding("broken/gm305_tanh_large_init", "GM305")
    assert (found.line, found.layer, found.step) == (10, "dense", 1)
    assert found.evidence["activation"] == "tanh"
    assert 0.7 < found.evidence["saturated_fraction"] < 0.75
    assert found.evidence["saturated_units"] == 29 and found.evidence["units"] == 32
    assert [fix.id for fix in found.fixes] == ["initializer"]
    assert_all_fixes_verified("broken/gm305_tanh_large_init", "GM305")
