"""GM202 unscaled-inputs: raw pixels, features in the thousands."""

import pytest
from preflight_support import assert_every_fix_verified, check_broken, finding


def test_raw_pixels_into_a_convolution():
    run = check_broken("gm202_raw_pixels")
    found = finding(run, "GM202", "warning", line=5)
    images = run.namespace["images"]
    assert found.evidence["min"] == 0.0 and found.evidence["max"] == 255.0
    assert found.evidence["mean"] == pytest.approx(float(images.mean()), rel=1e-6)
    assert found.evidence["pixel_like"] is True
    assert found.message == (f"inputs `images` range 0..255 (mean {float(images.mean()):.1f}), far from the unit "
                             "scale the first layer's initial weights assume")
    assert [fix.id for fix in found.fixes] == ["divide-by-255", "normalization-layer"]
    assert "images = images / 255.0\n" in found.fixes[0].patched_source
    assert ("    keras.layers.Normalization(mean=images.mean(axis=(0, 1, 2)), "
            "variance=images.var(axis=(0, 1, 2))),\n    keras.layers.Conv2D(") in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM202")


def test_tabular_features_in_the_thousands():
    run = check_broken("gm202_features_in_thousands")
    found = finding(run, "GM202", "warning", line=7)  # `x = np.hstack([income, age])`
    x = run.namespace["x"]
    assert found.evidence["max"] == float(x.max()) > 100_000
    assert found.evidence["columns"] == 2 and found.evidence["pixel_like"] is False
    assert [fix.id for fix in found.fixes] == ["normalization-layer", "standardise"]
    assert "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)\n" in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM202")
