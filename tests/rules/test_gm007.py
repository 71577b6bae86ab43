"""GM007 output-loss-mismatch: loss keys, target keys and output keys that disagree; heads without a loss."""

import keras
import numpy as np
from helpers import assert_fix_verified, check_program, check_source, only

from gradmagic.core import keras_adapter

OUTPUT_KEYS = ["label", "score"]


def test_loss_key_that_names_no_output():
    run = check_program("broken/gm007_loss_key_typo")
    finding = only(run.report, "GM007")
    assert finding.severity == "error"
    assert finding.line == 16
    assert finding.layer == "score_head"
    assert finding.evidence == {"output_keys": OUTPUT_KEYS, "loss_keys": ["label", "scores"],
                                "target_keys": OUTPUT_KEYS, "fits": [0]}
    assert "`scores`" in finding.message and "`score`" in finding.message
    assert run.report.fits[0].status == "failed" and run.report.fits[0].exception_type == "KeyError"
    fix = finding.fixes[0]
    assert fix.safety == "safe"
    assert 'loss={"label": "sparse_categorical_crossentropy", "score": "mse"},' in fix.patched_source
    assert_fix_verified(run, "GM007")


def test_target_key_that_names_no_output():
    run = check_program("broken/gm007_target_key_typo")
    finding = only(run.report, "GM007")
    assert finding.severity == "error"
    assert finding.line == 15
    assert finding.layer == "score_head"
    assert finding.evidence["target_keys"] == ["label", "value"]
    assert finding.evidence["loss_keys"] == OUTPUT_KEYS
    assert run.report.fits[0].exception_type == "TypeError"
    fix = finding.fixes[0]
    assert fix.safety == "safe"
    assert 'targets = {"label": y_class, "score": y_value}' in fix.patched_source
    assert_fix_verified(run, "GM007")


def test_head_without_loss_trained_with_train_on_batch():
    run = check_program("broken/gm007_head_without_loss")
    finding = only(run.report, "GM007")
    assert finding.severity == "warning"
    assert finding.line == 14
    assert finding.layer == "flag_head"
    assert finding.evidence["head_without_loss"] == "flag"
    assert finding.evidence["head_parameters"] == 17
    assert finding.evidence["loss_keys"] == ["label"]
    assert run.report.fits[0].method == "train_on_batch"
    assert "flag_head" in only(run.report, "GM002").evidence["layers_without_gradient"]
    fix = finding.fixes[0]
    assert fix.safety == "review"
    assert '"flag": "binary_crossentropy"' in fix.patched_source
    patched = assert_fix_verified(run, "GM007")
    assert "GM002" not in patched.report.codes()
    model = patched.namespace["model"]
    assert np.any(model.get_layer("flag_head").get_weights()[0] != run.namespace["model"].get_layer(
        "flag_head").get_weights()[0])


def test_list_loss_with_none_for_a_head():
    source = """
import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32")
y_class = np.random.randint(0, 3, size=(64,))
y_value = np.random.normal(size=(64, 1)).astype("float32")
inputs = keras.Input((6,))
hidden = keras.layers.Dense(16, activation="relu")(inputs)
model = keras.Model(inputs, [keras.layers.Dense(3, name="label")(hidden), keras.layers.Dense(1, name="score")(hidden)])
model.compile(optimizer="adam", loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), None])
model.fit(x, [y_class, y_value], epochs=1, batch_size=16, verbose=0)
"""
    run = check_source(source, "/tmp/gm007_list_loss.py")
    finding = only(run.report, "GM007")
    assert (finding.severity, finding.line, finding.layer) == ("warning", 12, "score")
    assert finding.evidence["output_keys"] == ["label", "score"] and finding.evidence["loss_keys"] is None
    assert 'SparseCategoricalCrossentropy(from_logits=True), "mse"]' in finding.fixes[0].patched_source
    assert_fix_verified(run, "GM007")


def test_keras_adapter_names_dict_and_list_output_heads():
    inputs = keras.Input((3,))
    first = keras.layers.Dense(2, name="first_head")(inputs)
    second = keras.layers.Dense(1, name="second_head")(inputs)
    assert keras_adapter.output_heads(keras.Model(inputs, {"a": first, "b": second})) == [
        ("a", "first_head"), ("b", "second_head")]
    assert keras_adapter.output_heads(keras.Model(inputs, [first, second])) == [
        ("first_head", "first_head"), ("second_head", "second_head")]
