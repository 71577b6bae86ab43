"""GM303 vanishing-gradients: the first layer's gradient is negligible against the last."""

from gm3_support import assert_all_fixes_verified, finding


def test_eight_sigmoid_layers_starve_the_first():
    found = finding("broken/gm303_deep_sigmoid", "GM303")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (10, "dense", 1)
    evidence = found.evidence
    assert evidence["last_layer"] == "dense_8"
    assert evidence["first_norm"] < 1e-4 and evidence["ratio"] < 1e-3
    norms = list(evidence["layer_norms"].values())
    assert norms == sorted(norms)  # shrinking layer by layer towards the input
    assert [fix.id for fix in found.fixes] == ["relu"]
    assert 'Dense(16, activation="relu", kernel_initializer="he_normal")' in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm303_deep_sigmoid", "GM303")


def test_tiny_initialiser_vanishes_from_the_second_step():
    found = finding("broken/gm303_tanh_tiny_init", "GM303")
    # at step 1 Adam has not moved the output layer yet, whose gradient is tiny too
    assert (found.line, found.layer, found.step) == (10, "dense", 2)
    assert found.evidence["last_layer"] == "dense_5"
    assert found.evidence["first_norm"] < 1e-5 and found.evidence["ratio"] < 1e-3
    assert [fix.id for fix in found.fixes] == ["initializer"]
    assert 'kernel_initializer="glorot_uniform"' in found.fixes[0].patched_source
    assert_all_fixes_verified("broken/gm303_tanh_tiny_init", "GM303")
