"""GM106 target-range: targets the loss or the output activation cannot meet."""

from preflight_support import assert_every_fix_verified, check_broken, finding


def test_seed_frozen_middle_layer_with_bce_on_normal_targets():
    # Keras 3.15: the frozen layer is fine (gradients flow through it); the targets are the problem.
    run = check_broken("gm106_frozen_layer_bce_normal_targets")
    assert run.report.fits[0].status == "completed"
    assert "GM009" not in run.report.codes()
    assert run.namespace["history"].history["accuracy"] == [0.0, 0.0, 0.0]
    found = finding(run, "GM106", "error", line=14)  # the `loss=` in compile
    y = run.namespace["y"]
    assert found.evidence["target_min"] == float(y.min()) < 0
    assert found.evidence["target_max"] == float(y.max()) > 1
    assert found.message.startswith("targets range -2.07..2.26 (mean ")
    assert found.message.endswith("but `binary_crossentropy` needs targets in [0, 1]")
    patched = found.fixes[0].patched_source
    assert 'loss="mse"' in patched and 'metrics=["mae"]' in patched
    assert 'keras.layers.Dense(1),' in patched
    assert 'keras.layers.Dense(8, activation="relu", trainable=False),' in patched
    assert_every_fix_verified(run, "GM106")


def test_sigmoid_output_cannot_reach_percent_targets():
    run = check_broken("gm106_sigmoid_output_percent_targets")
    found = finding(run, "GM106", "error", line=11)  # the output layer
    assert found.layer == "dense_1"
    assert found.evidence["output_low"] == 0.0 and found.evidence["output_high"] == 1.0
    assert found.evidence["target_max"] > 80
    assert "but the sigmoid output of `dense_1` can only produce 0..1" in found.message
    assert "keras.layers.Dense(1),\n" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM106")


def test_labels_written_as_minus_one_and_one():
    run = check_broken("gm106_signed_labels_bce")
    found = finding(run, "GM106", "error", line=6)  # where the labels are made as -1/1: the data is wrong, not the loss
    assert found.evidence["target_min"] == -1.0 and found.evidence["target_max"] == 1.0
    assert [fix.id for fix in found.fixes] == ["labels-to-01"]
    assert 'y = (y > 0).astype("float32")\n' in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM106")
