"""GM306 zero-gradients: connected gradients that are exactly 0."""

from gm3_support import assert_all_fixes_verified, checked, finding


def test_zero_initialised_mlp_only_learns_its_output_bias():
    found = finding("broken/gm306_zero_init_mlp", "GM306")
    assert found.severity == "warning"
    assert (found.line, found.layer, found.step) == (10, "dense", 1)
    # tanh(0) = 0 feeds the output kernel nothing and its zero weights send nothing back:
    # every kernel gradient is exactly 0, only the output bias learns
    assert found.evidence["zero_fraction"] == 1.0
    assert found.evidence["silent_layers"] == ["dense", "dense_1"]
    assert found.evidence["layer_zero_fractions"] == {"dense": 1.0, "dense_1": 1.0}
    assert "100 % of the kernel gradient entries are exactly 0" in found.message
    patched = found.fixes[0].patched_source
    assert 'Dense(16, activation="tanh", kernel_initializer="glorot_uniform")' in patched
    assert 'Dense(1, activation="sigmoid", kernel_initializer="glorot_uniform")' in patched
    assert "GM303" not in checked("broken/gm306_zero_init_mlp").report.codes()
    assert_all_fixes_verified("broken/gm306_zero_init_mlp", "GM306")


def test_zero_initialised_cnn():
    found = finding("broken/gm306_zero_init_cnn", "GM306")
    assert (found.line, found.layer, found.step) == (10, "conv2d", 1)
    assert found.evidence["silent_layers"] == ["conv2d", "dense"]
    assert found.evidence["zero_fraction"] > 0.99
    assert "GM307" not in checked("broken/gm306_zero_init_cnn").report.codes()
    assert_all_fixes_verified("broken/gm306_zero_init_cnn", "GM306")
