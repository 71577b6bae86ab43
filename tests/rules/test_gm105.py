"""GM105 label-encoding-mismatch: how the targets encode classes vs what the loss expects."""

from preflight_support import assert_every_fix_verified, check_broken, finding


def test_integer_labels_with_categorical_crossentropy():
    run = check_broken("gm105_integer_labels_categorical_loss")
    assert run.report.fits[0].exception_type == "ValueError"
    found = finding(run, "GM105", "error", line=13)
    assert found.message == ("targets are class ids 0..4 (one per row) but `categorical_crossentropy` "
                             "expects one-hot rows of 5 columns")
    assert found.evidence["target_shape"] == [64] and found.evidence["output_units"] == 5
    assert found.evidence["target_classes"] == 5
    assert "GM101" not in run.report.codes()
    assert [fix.id for fix in found.fixes] == ["sparse-loss", "one-hot-targets"]
    assert 'loss="sparse_categorical_crossentropy"' in found.fixes[0].patched_source
    assert "y = keras.utils.to_categorical(y, 5)\n" in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM105")


def test_one_hot_targets_with_a_sparse_loss_keep_from_logits():
    run = check_broken("gm105_one_hot_sparse_loss")
    found = finding(run, "GM105", "error", line=14)
    assert "are one-hot rows of 3 columns" in found.message
    assert found.evidence["target_encoding"] == "one-hot"
    assert "loss=keras.losses.CategoricalCrossentropy(from_logits=True)" in found.fixes[0].patched_source
    assert "y = y.argmax(axis=-1)\n" in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM105")


def test_class_ids_beyond_the_output_units():
    run = check_broken("gm105_class_ids_beyond_units")
    assert run.report.fits[0].exception_type == "InvalidArgumentError"
    found = finding(run, "GM105", "error", line=11)
    assert found.message == "class ids go up to 9 but the output layer `dense_1` has 5 units (ids 0..4)"
    y = run.namespace["y"]
    assert found.evidence["ids_out_of_range"] == int((y >= 5).sum())
    assert 'keras.layers.Dense(10, activation="softmax"),' in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM105")


def test_one_head_of_a_multi_output_model():
    run = check_broken("gm105_multi_output_one_hot_head")
    found = finding(run, "GM105", "error", line=17)  # the "label" entry of the loss dict
    assert found.evidence["output"] == "label"
    assert "targets of output `label` are one-hot rows of 3 columns" in found.message
    assert '"label": "categorical_crossentropy",' in found.fixes[0].patched_source
    assert '"score": "mse"' in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM105")
