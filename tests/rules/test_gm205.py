"""GM205 non-integer-ids: standardised, fractional, negative ids and ids beyond the vocabulary into an Embedding."""

import pytest
from helpers import assert_fix_verified, check_source
from preflight_support import (
    assert_every_fix_verified,
    assert_trains,
    check_broken,
    finding,
)


def _no_new_problems(run, patched, code):
    before = {f.code for f in run.report.findings if f.severity in ("error", "warning")}
    after = {f.code for f in patched.report.findings if f.severity in ("error", "warning")}
    assert after <= before - {code}, (before, after)


def test_standardised_ids_into_a_sequential_embedding():
    run = check_broken("gm205_standardised_ids")
    found = finding(run, "GM205", "error", line=6)  # `ids = (tokens - tokens.mean()) / tokens.std()`
    ids = run.namespace["ids"]
    assert found.layer == "embedding"
    ev = found.evidence
    assert ev["kind"] == "standardised" and ev["input_dim"] == 50 and ev["array"] == "ids"
    assert ev["min"] == pytest.approx(float(ids.min())) and ev["max"] == pytest.approx(float(ids.max()))
    assert ev["negative"] == ev["out_of_range"] == int((ids < 0).sum())
    assert ev["fraction_non_integral"] == pytest.approx(float((ids != ids.round()).mean()), abs=1e-4)
    assert ev["values_scanned"] == ids.size
    assert found.message.startswith("`ids` fed to Embedding `embedding` is standardised (mean 0, std 1, ")
    assert "GM202" not in run.report.codes() and "GM011" not in run.report.codes()
    assert [fix.id for fix in found.fixes] == ["unscaled-ids"]
    assert "\nids = tokens\n" in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM205")
    _no_new_problems(run, patched, "GM205")
    assert_trains(patched)


def test_divided_ids_into_one_input_of_a_functional_model():
    run = check_broken("gm205_float_ids_two_inputs")
    found = finding(run, "GM205", "error", line=7)  # `product_scaled = product / 200.0`, not the astype in fit
    product = run.namespace["product"]
    ev = found.evidence
    assert found.layer == "product_table"
    assert ev["kind"] == "fractional" and ev["argument"] == "x[0]" and ev["input_dim"] == 200
    assert ev["max"] == pytest.approx(product.max() / 200.0) and ev["min"] == pytest.approx(product.min() / 200.0)
    assert ev["non_integral"] == int((product % 200 != 0).sum()) and ev["out_of_range"] == 0
    assert "product_scaled" in found.message and "not integer ids in 0..199" in found.message
    assert "product_scaled = product\n" in found.fixes[0].patched_source
    assert "GM202" not in run.report.codes()
    patched = assert_every_fix_verified(run, "GM205")[0]
    _no_new_problems(run, patched, "GM205")


def test_ids_beyond_input_dim_point_at_the_embedding_and_raise_it():
    run = check_broken("gm205_ids_beyond_vocabulary")
    # Keras on CPU: `indices[...] = 1xx is not in [0, 100)` raised from the embedding's GatherV2
    assert run.report.fits[0].status == "failed"
    assert run.report.fits[0].exception_type == "InvalidArgumentError"
    found = finding(run, "GM205", "error", line=10)  # model.add(keras.layers.Embedding(input_dim=100, ...))
    words = run.namespace["words"]
    ev = found.evidence
    assert found.layer == "embedding"
    assert (ev["kind"], ev["input_dim"], ev["max"], ev["min"]) == ("beyond", 100, float(words.max()), 0.0)
    assert ev["beyond"] == ev["out_of_range"] == int((words >= 100).sum()) and ev["non_integral"] == 0
    assert any("is not in [0, 100)" in note for note in found.notes)
    assert found.fixes[0].id == "raise-input-dim"
    assert "keras.layers.Embedding(input_dim=120, output_dim=6)" in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM205")
    _no_new_problems(run, patched, "GM205")
    assert_trains(patched)


def test_negative_ids_are_looked_up_silently():
    run = check_broken("gm205_negative_padding_ids")
    assert run.report.fits[0].status == "completed"  # Keras wraps negative ids around: no error
    found = finding(run, "GM205", "error", line=6)  # `shifted = codes - 1`
    shifted = run.namespace["shifted"]
    ev = found.evidence
    assert found.layer == "code_table" and ev["kind"] == "negative"
    assert ev["negative"] == int((shifted < 0).sum()) > 0 and ev["min"] == -1.0 and ev["input_dim"] == 30
    assert "shifted = codes\n" in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM205")
    _no_new_problems(run, patched, "GM205")


HEALTHY_IDS = """import numpy as np
import keras

keras.utils.set_random_seed(0)
tokens = np.random.randint(0, 5001, size=(64, 10))
tokens[0, 0] = 5000
labels = (tokens.mean(axis=1) > 2500).astype("float32")
model = keras.Sequential([
    keras.Input((10,)),
    keras.layers.Embedding(5001, 8),
    keras.layers.GlobalAveragePooling1D(),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(tokens, labels, epochs=2, batch_size=16, verbose=0)
"""


def test_integer_token_ids_are_neither_unscaled_inputs_nor_bad_ids():
    run = check_source(HEALTHY_IDS, "/tmp/gm205_healthy_ids.py")
    assert run.error is None
    assert "GM202" not in run.report.codes() and "GM205" not in run.report.codes(), run.report.codes()
    assert run.report.findings == [] or all(f.severity == "info" for f in run.report.findings), run.report.codes()


TWO_INPUTS = """import numpy as np
import keras

keras.utils.set_random_seed(0)
store = np.random.randint(0, 40, size=(64, 1))
sales = np.random.rand(64, 2).astype("float32") * 5000.0
target = np.random.rand(64, 1).astype("float32")
store_in = keras.Input((1,), dtype="int32")
sales_in = keras.Input((2,))
h = keras.layers.Concatenate()([keras.layers.Flatten()(keras.layers.Embedding(40, 3)(store_in)), sales_in])
model = keras.Model([store_in, sales_in], keras.layers.Dense(1)(h))
model.compile(optimizer="adam", loss="mse")
history = model.fit([store, sales], target, epochs=2, batch_size=16, verbose=0)
"""


def test_ids_and_features_side_by_side_only_the_features_are_unscaled():
    run = check_source(TWO_INPUTS, "/tmp/gm205_two_inputs.py")
    assert "GM205" not in run.report.codes()
    unscaled = run.report.by_code("GM202")
    assert len(unscaled) == 1 and unscaled[0].evidence["array"] == "sales", run.report.codes()
