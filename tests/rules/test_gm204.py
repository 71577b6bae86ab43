"""GM204 unscaled-targets: regression targets far from unit scale."""

import pytest
from preflight_support import assert_every_fix_verified, check_broken, finding, losses


def test_house_prices_with_a_linear_output():
    run = check_broken("gm204_house_prices")
    values = losses(run)
    assert values[0] > 1e10 and (values[0] - values[-1]) / values[0] < 1e-3  # it barely moves
    found = finding(run, "GM204", "warning", line=6)
    y = run.namespace["y"]
    assert found.evidence["mean"] == pytest.approx(float(y.mean()), rel=1e-6)
    assert found.evidence["std"] == pytest.approx(float(y.std()), rel=1e-5)
    assert found.evidence["loss_first_batch"] > 1e10
    assert found.message.startswith("regression targets `y` range ")
    assert [fix.id for fix in found.fixes] == ["standardise-targets", "rescaling-output"]
    assert "y_mean, y_std = y.mean(), y.std()\ny = (y - y_mean) / y_std\n" in found.fixes[0].patched_source
    assert ("    keras.layers.Dense(1),\n    keras.layers.Rescaling(scale=float(y.std()), offset=float(y.mean())),\n"
            in found.fixes[1].patched_source)
    assert_every_fix_verified(run, "GM204")


def test_functional_model_with_mae_on_revenue():
    run = check_broken("gm204_functional_mae_counts")
    found = finding(run, "GM204", "warning", line=6)
    assert found.evidence["loss"] == "mean_absolute_error"
    assert found.evidence["array"] == "revenue"
    assert [fix.id for fix in found.fixes] == ["standardise-targets"]
    assert_every_fix_verified(run, "GM204")
