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
    # What the first step does depends on the CPU kernels: with oneDNN's fused MatMul+BiasAdd+ReLU
    # the NaN becomes 0 after the ReLU and the loss looks finite; without it the loss is NaN.
    loss_note = next(note for note in found.notes if note.startswith("the loss on the first batch"))
    if loss_note == "the loss on the first batch is nan":
        assert any(note.startswith("the gradients of 4 of 4 weight tensors are not finite") for note in found.notes)
    else:
        assert loss_note.startswith("the loss on the first batch still looks finite (")
        assert any(note.startswith("the gradients of 1 of 4 weight tensors are not finite on that batch "
                                   "(`sequential/dense/kernel`)") for note in found.notes)
    assert [fix.id for fix in found.fixes] == ["drop-nonfinite-rows", "impute-column-means"]
    assert "x, y = x[finite_rows], y[finite_rows]" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM201")
    return run


def test_seed_nan_input_with_relu():
    # Keras 3.15 on CPU: relu(nan) is nan, so the loss is NaN from the first epoch and every
    # weight the first step touches turns NaN (the finite-looking loss of older write-ups does not happen).
    run = _seed_nan("gm201_nan_input_relu")
    kernel = run.namespace["model"].get_weights()[0]
    if all(math.isnan(v) for v in losses(run)):  # plain kernels: relu(nan) is nan
        assert np.isnan(kernel).all()
        # The recorder shows the consequence: the step where training turned NaN and the NaN weights.
        nonfinite = run.report.by_code("GM301")[0]
        assert nonfinite.evidence["what"] == "the loss" and nonfinite.step == nonfinite.evidence["first_step"]
        assert nonfinite.evidence["nonfinite_weights_after_fit"] == 40  # of the 49 weights of the 4->8->1 MLP
    else:  # oneDNN's fused kernel turned the NaN into 0: a finite loss, NaN weights in the first kernel
        assert all(math.isfinite(v) for v in losses(run))
        assert np.isnan(kernel[0]).all() and not np.isnan(kernel[1:]).any()
        assert {"GM301", "GM310"} & set(run.report.codes())


def _check_with_onednn(flag: str, tmp_path) -> dict:
    import json
    import os
    import subprocess
    import sys

    from helpers import program

    out = tmp_path / f"report_{flag}.json"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": flag, "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run([sys.executable, "-m", "gradmagic", "check", str(program("broken/gm201_nan_input_relu")),
                    "--json", str(out)], env=env, capture_output=True, timeout=300)
    return json.loads(out.read_text())


def test_seed_nan_input_is_diagnosed_with_and_without_onednn(tmp_path):
    for flag in ("0", "1"):
        report = _check_with_onednn(flag, tmp_path)
        causes = [f for f in report["findings"] if f["caused_by"] is None]
        assert [(f["code"], f["line"]) for f in causes] == [("GM201", 6)], flag  # one cause, at `x[0, 0] = nan`
        followed = {f["code"] for f in report["findings"] if f["caused_by"] is not None}
        assert followed & {"GM301", "GM310"}, flag
    plain = _check_with_onednn("0", tmp_path)
    nonfinite = next(f for f in plain["findings"] if f["code"] == "GM301")
    assert nonfinite["evidence"]["what"] == "the loss"  # without oneDNN the loss is NaN from the first step


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
