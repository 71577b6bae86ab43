"""GM104 activation-loss-mismatch: output activation and loss disagree about what the outputs are."""

from preflight_support import assert_every_fix_verified, check_broken, finding


def test_linear_output_with_categorical_crossentropy():
    run = check_broken("gm104_linear_cce")
    found = finding(run, "GM104", "error", line=11)
    assert found.layer == "dense_1"
    assert found.message.startswith("`categorical_crossentropy` expects probabilities but the output of "
                                    "`dense_1` is linear (outputs range ")
    assert found.evidence["output_min"] < 0 and found.evidence["output_units"] == 10
    assert [fix.id for fix in found.fixes] == ["add-activation", "from-logits"]
    assert 'keras.layers.Dense(10, activation="softmax"),' in found.fixes[0].patched_source
    assert "loss=keras.losses.CategoricalCrossentropy(from_logits=True)" in found.fixes[1].patched_source
    fixed = assert_every_fix_verified(run, "GM104")
    # clipping a linear output made the loss ~8; the fixed programs start at ~ln(10)
    assert run.namespace["history"].history["loss"][0] > 7
    assert all(p.namespace["history"].history["loss"][0] < 2.5 for p in fixed)


def test_linear_output_with_binary_crossentropy_in_a_functional_model():
    run = check_broken("gm104_linear_output_bce")
    found = finding(run, "GM104", "error", line=10)
    assert "`binary_crossentropy` expects probabilities" in found.message
    assert 'keras.layers.Dense(1, activation="sigmoid")(hidden)' in found.fixes[0].patched_source
    assert "keras.losses.BinaryCrossentropy(from_logits=True)" in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM104")


def test_from_logits_on_a_softmax_output_is_noted_not_an_error():
    # Keras 3 notices the softmax and computes the loss from its input: training is unaffected.
    run = check_broken("gm104_softmax_from_logits")
    found = finding(run, "GM104", "info", line=15)  # the `loss=` line
    assert found.evidence["from_logits"] is True and found.evidence["keras_uses_logits"] is True
    assert 0 <= found.evidence["output_min"] and found.evidence["output_max"] <= 1
    assert [fix.id for fix in found.fixes] == ["drop-from-logits", "linear-output"]
    assert "loss=keras.losses.SparseCategoricalCrossentropy()," in found.fixes[0].patched_source
    assert "keras.layers.Dense(3)," in found.fixes[1].patched_source
    fixed = assert_every_fix_verified(run, "GM104")
    assert [p.namespace["history"].history["loss"] for p in fixed] == [run.namespace["history"].history["loss"]] * 2


def test_sigmoid_units_with_categorical_crossentropy():
    run = check_broken("gm104_sigmoid_exclusive_classes")
    found = finding(run, "GM104", "warning", line=10)
    assert found.evidence["row_sums_one"] is False and found.evidence["output_units"] == 4
    assert 'keras.layers.Dense(4, activation="softmax")(hidden)' in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM104")
