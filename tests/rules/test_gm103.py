"""GM103 degenerate-output: one unit under softmax or categorical cross-entropy."""

import numpy as np
from helpers import only, program, run_plain, weights_of
from preflight_support import assert_every_fix_verified, check_broken, finding, losses


def test_softmax_over_one_unit_gives_loss_zero():
    run = check_broken("gm103_softmax_one_unit")
    assert max(losses(run)) < 1e-6  # what Keras 3.15 prints: loss 0.0000, nothing learned
    found = finding(run, "GM103", "error", line=11)
    assert found.layer == "dense_1"
    assert found.message == "the loss is identically 0 for any weights: softmax over one unit is always 1.0"
    assert found.evidence["output_units"] == 1
    assert found.evidence["loss_first_batch"] == 0.0
    assert found.evidence["output_min"] == found.evidence["output_max"] == 1.0 or \
        abs(found.evidence["output_min"] - 1.0) < 1e-6
    assert found.evidence["target_classes"] == 2
    assert [fix.id for fix in found.fixes] == ["sigmoid-binary-crossentropy", "softmax-units"]
    first = found.fixes[0].patched_source
    assert 'keras.layers.Dense(1, activation="sigmoid"),' in first and 'loss="binary_crossentropy"' in first
    second = found.fixes[1].patched_source
    assert 'keras.layers.Dense(2, activation="softmax"),' in second
    assert 'loss="sparse_categorical_crossentropy"' in second
    assert_every_fix_verified(run, "GM103")


def test_seed_cce_on_one_linear_unit_with_one_column():
    # The one-column variant of the seed: trains without error, loss exactly 0, weights never move.
    run = check_broken("gm103_cce_one_column_linear")
    assert run.report.fits[0].status == "completed"
    assert max(losses(run)) < 1e-6
    source = program("broken/gm103_cce_one_column_linear").read_text()
    initial = weights_of(run_plain(source.replace("epochs=3", "epochs=0"), "/tmp/gm103_initial.py"))
    for before, after in zip(initial, weights_of(run.namespace), strict=True):
        np.testing.assert_array_equal(before, after)
    found = finding(run, "GM103", "error", line=11)
    assert "`categorical_crossentropy` divides the single output by itself" in found.message
    assert found.evidence["activation"] == "linear"
    mismatch = only(run.report, "GM104")
    assert mismatch.line == 11 and mismatch.severity == "error"
    assert mismatch.evidence["output_min"] < 0  # a linear output is not a probability
    assert_every_fix_verified(run, "GM103")
    assert_every_fix_verified(run, "GM104")


def test_sparse_loss_over_a_one_unit_softmax_layer_with_four_classes():
    run = check_broken("gm103_sparse_one_unit_four_classes")
    assert run.report.fits[0].status == "failed"  # ids 1..3 have no unit
    found = finding(run, "GM103", "error", line=11)
    assert found.layer == "dense_1"  # the one-unit layer under the `Softmax()` of line 12
    assert found.evidence["activation"] == "softmax"
    assert found.evidence["target_classes"] == 4
    assert [fix.id for fix in found.fixes] == ["softmax-units"]
    assert "keras.layers.Dense(4)(hidden)" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM103")
