"""GM205 from constructed evidence: standardised token ids, and ids beyond the table, fed to an `Embedding`."""

from builders_preflight import array, head, made_at, preflight, preflight_fit
from evidence_builder import check, dense, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.data import IdInput
from gradmagic.evidence.facts.model import LayerInfo, ModelInfo, VariableInfo

SOURCE = """import numpy as np
import keras

tokens = np.random.randint(0, 50, size=(96, 6))
ids = (tokens - tokens.mean()) / tokens.std()
labels = (tokens[:, 0] > 24).astype("int32")

model = keras.Sequential([
    keras.Input((6,)),
    keras.layers.Embedding(50, 8),
    keras.layers.GlobalAveragePooling1D(),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(ids, labels, epochs=3, batch_size=16, verbose=0)
"""

EMBEDDING = LayerInfo("embedding", "Embedding", True, None, [], None, "(None, 6, 8)", 400, line=10,
                      class_chain=("Embedding", "Layer", "Operation"))
POOLING = LayerInfo("global_average_pooling1d", "GlobalAveragePooling1D", True, None, ["embedding"], None,
                    "(None, 8)", 0, line=11, class_chain=("GlobalAveragePooling1D", "Layer", "Operation"))
SOFTMAX = dense("dense", 2, inputs=8, activation="softmax", line=12, inbound=["global_average_pooling1d"])
MODEL = ModelInfo(name="sequential", class_name="Sequential", layers=[EMBEDDING, POOLING, SOFTMAX],
                  variables=[VariableInfo("embedding/embeddings", "embedding", "float32", (50, 8), True),
                             VariableInfo("dense/kernel", "dense", "float32", (8, 2), True),
                             VariableInfo("dense/bias", "dense", "float32", (2,), True)],
                  output_units=(2,), class_chain=("Sequential", "Model", "Layer"))
LABELS = array("y", (96,), low=0.0, high=1.0, mean=0.51, std=0.5, dtype="int32", integral=True,
               origin=made_at("labels", 6, "y"))


def _fit(x, read_as_ids: IdInput):
    output = head(SOFTMAX, "sparse_categorical_crossentropy", LABELS, target_kind="integer", relation="ids",
                  target_classes=2)
    checks = preflight(output, inputs=(x,), id_inputs=[read_as_ids], input_layers=["Embedding"],
                       input_readers={"x": ["Embedding"]})
    return preflight_fit(checks, [], loss="sparse_categorical_crossentropy", line=15, model_info=MODEL)


def _ids(**counted) -> IdInput:
    return IdInput(argument="x", layer="embedding", class_name="Embedding", line=10, input_dim=50,
                   values_scanned=576, **counted)


def test_standardised_ids_are_gm205_where_they_are_scaled_and_the_fix_feeds_the_tokens():
    standardised = array("x", (96, 6), low=-1.665, high=1.718, mean=8.0e-17, std=1.0, dtype="float64",
                         origin=made_at("ids", 5, "x"))
    report = check(SOURCE, _fit(standardised, _ids(dtype="float64", min=-1.665, max=1.718, non_integral=576,
                                                   negative=295)))
    assert report.codes() == ["GM205"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 5, "embedding")
    assert found.message == ("`ids` fed to Embedding `embedding` is standardised (mean 0, std 1, -1.67..1.72), not "
                             "integer ids in 0..49")
    evidence = found.evidence
    assert (evidence["kind"], evidence["input_dim"], evidence["negative"], evidence["out_of_range"]) \
        == ("standardised", 50, 295, 295)
    assert (evidence["non_integral"], evidence["fraction_non_integral"], evidence["values_scanned"]) == (576, 1.0, 576)
    assert [fix.id for fix in found.fixes] == ["unscaled-ids"]
    assert found.fixes[0].patched_source.splitlines()[4] == "ids = tokens"
    assert_snapshot("GM205", render(report))


def test_integer_ids_below_input_dim_are_what_an_embedding_takes():
    source = SOURCE.replace("ids = (tokens - tokens.mean()) / tokens.std()", "ids = tokens")
    tokens = array("x", (96, 6), low=0.0, high=49.0, mean=24.6, std=14.4, dtype="int64", integral=True,
                   origin=made_at("ids", 5, "x"))
    assert "GM205" not in check(source, _fit(tokens, _ids(dtype="int64", min=0.0, max=49.0))).codes()


def test_ids_beyond_input_dim_are_gm205_at_the_embedding_not_unscaled_inputs():
    source = SOURCE.replace("ids = (tokens - tokens.mean()) / tokens.std()", "ids = tokens * 2 + 21")
    words = array("x", (96, 6), low=21.0, high=119.0, mean=70.2, std=28.8, dtype="int64", integral=True,
                  origin=made_at("ids", 5, "x"))
    report = check(source, _fit(words, _ids(dtype="int64", min=21.0, max=119.0, beyond=264)))
    assert report.codes() == ["GM205"]  # values up to 119 into an Embedding are ids, not features for GM202
    found = report.findings[0]
    assert (found.line, found.evidence["kind"], found.evidence["beyond"]) == (10, "beyond", 264)
    assert found.message == "ids in `ids` go up to 119 but Embedding `embedding` has input_dim=50 (ids 0..49)"
    assert found.fixes[0].patched_source.splitlines()[9] == "    keras.layers.Embedding(120, 8),"
