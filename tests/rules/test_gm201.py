"""GM201 nonfinite-data: NaN/Inf in inputs or targets, with count, first row and column."""

import math

import numpy as np
from preflight_support import assert_every_fix_verified, check_broken, finding, losses


def _seed_nan(name: str):
    run = check_broken(name)
    found = finding(run, "GM201", "error", line=6)  # `x[0, 0] = np.nan`
    assert found.message == "`x` has 1 NaN at row 0, column 0"
    assert found.evidence["nan_count"] == 1 and found.evidence["inf_count"] == 0
    assert found.evidence["first_row"] == 0 and found.evidence["first_column"] == 0
    assert found.evidence["rows_scanned"] == 64 == found.evidence["rows_total"]
    assert "the loss on the first batch is nan" in found.notes
    assert any(note.startswith("the gradients of 4 of 4 weight tensors are not finite") for note in found.notes)
    assert [fix.id for fix in found.fixes] == ["drop-nonfinite-rows", "impute-column-means"]
    assert "x, y = x[finite_rows], y[finite_rows]" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM201")
    return run


def test_seed_nan_input_with_relu():
    # Keras 3.15 on CPU: relu(nan) is nan, so the loss is NaN from the first epoch and every
    # weight the first step touches turns NaN (the finite-looking loss of older write-ups does not happen).
    run = _seed_nan("gm201_nan_input_relu")
    assert all(math.isnan(v) for v in losses(run))
    kernel = run.namespace["model"].get_weights()[0]
    assert np.isnan(kernel).all()
    # The recorder shows the consequence: the step where training turned NaN and the NaN weights.
    nonfinite = run.report.by_code("GM301")[0]
    assert nonfinite.evidence["what"] == "the loss" and nonfinite.step == nonfinite.evidence["first_step"]
    assert nonfinite.evidence["nonfinite_weights_after_fit"] == 40  # 40 of the 49 weights of the 4->8->1 MLP


def test_seed_nan_input_with_tanh():
    run = _seed_nan("gm201_nan_input_tanh")
    assert all(math.isnan(v) for v in losses(run))


def test_inf_in_targets_of_a_regression():
    run = check_broken("gm201_inf_in_targets")
    found = finding(run, "GM201", "error", line=7)  # `targets[[5, 40]] = np.inf`
    assert found.message == "`targets` has 2 Inf values in 2 rows (first at row 5, column 0)"
    assert found.evidence["role"] == "targets" and found.evidence["inf_count"] == 2
    assert "the loss on the first batch is inf" in found.notes
    assert [fix.id for fix in found.fixes] == ["drop-nonfinite-rows"]  # targets are not imputed
    assert "features, targets = features[finite_rows], targets[finite_rows]" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM201")
