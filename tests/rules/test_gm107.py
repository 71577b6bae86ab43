"""GM107 task-loss-mismatch: a regression loss on a classifier, accuracy on a regression."""

from preflight_support import assert_every_fix_verified, check_broken, finding


def test_mse_on_a_softmax_classifier():
    run = check_broken("gm107_mse_on_softmax_classifier")
    found = finding(run, "GM107", "warning", line=13)
    assert found.message == ("`mean_squared_error` is a regression loss but the output is a softmax classifier "
                             "over 3 classes trained on one-hot targets")
    assert found.evidence["output_units"] == 3 and found.evidence["target_encoding"] == "one-hot"
    assert 'loss="categorical_crossentropy"' in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM107")


def test_accuracy_reported_for_a_regression():
    run = check_broken("gm107_accuracy_on_regression")
    assert run.namespace["history"].history["accuracy"][-1] == 0.0
    found = finding(run, "GM107", "warning", line=16)  # the `metrics=` line
    assert found.evidence["metric"] == "accuracy"
    assert found.evidence["target_encoding"] == "continuous"
    fix = found.fixes[0]
    assert fix.safety == "safe"
    assert '    metrics=["mae"],\n' in fix.patched_source
    assert_every_fix_verified(run, "GM107")
