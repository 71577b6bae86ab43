"""GM007 from constructed evidence: a `loss` dict key that names no output; an output head without a loss."""

import numpy as np
from builders_gm0 import failed, keyed_loss, probe
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.data import DataSample
from gradmagic.evidence.facts.model import OutputHead

HEADER = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 6).astype("float32")
y_class = np.random.randint(0, 3, size=(64,))
y_score = np.random.randint(0, 2, size=(64, 1)).astype("float32")

inputs = keras.Input((6,), name="features")
hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
class_head = keras.layers.Dense(3, activation="softmax", name="label_head")(hidden)
value_head = keras.layers.Dense(1, activation="{activation}", name="score_head")(hidden)
model = keras.Model(inputs, {{"label": class_head, "score": value_head}})
"""
TYPO = HEADER.format(activation="linear") + """model.compile(
    optimizer="adam",
    loss={"label": "sparse_categorical_crossentropy", "scores": "mse"},
)
history = model.fit(x, {"label": y_class, "score": y_score}, epochs=2, batch_size=16, verbose=0)
"""
ONE_LOSS = HEADER.format(activation="sigmoid") + """model.compile(
    optimizer="adam",
    loss={"label": "sparse_categorical_crossentropy"},
)
history = model.fit(x, {"label": y_class, "score": y_score}, epochs=2, batch_size=16, verbose=0)
"""


def two_heads(score_activation: str):
    hidden = dense("hidden", 16, inputs=6, activation="relu", line=10, inbound=["features"])
    label = dense("label_head", 3, inputs=16, activation="softmax", line=11, inbound=["hidden"])
    score = dense("score_head", 1, inputs=16, activation=score_activation, line=12, inbound=["hidden"])
    return model_info((hidden, 6, 16), (label, 16, 3), (score, 16, 1),
                      name="functional", class_name="Functional", dict_outputs=True, output_units=(3, 1),
                      outputs=[OutputHead("label", "label_head"), OutputHead("score", "score_head")])


rows = np.random.default_rng(0)
TARGETS = DataSample(kind="arrays", has_targets=True, batch_size=16, available=True, target_keys=["label", "score"],
                     y={"label": rows.integers(0, 3, size=16),
                        "score": rows.integers(0, 2, size=(16, 1)).astype("float32")})
KEY_ERROR = ("\"The path: ('scores',) in the `loss` argument, can't be found in either the model's output (`y_pred`) "
             "or in the labels (`y_true`).\"")


def test_a_loss_key_that_names_no_output_is_gm007_with_a_rename():
    fit = fit_evidence(line=18, model_info=two_heads("linear"), data=TARGETS,
                       loss=keyed_loss(label="sparse_categorical_crossentropy", scores="mse"),
                       **failed("KeyError", KEY_ERROR, in_probe=True))
    report = check(TYPO, fit)
    assert report.codes() == ["GM007"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 16, "score_head")
    assert found.evidence == {"output_keys": ["label", "score"], "loss_keys": ["label", "scores"],
                              "target_keys": ["label", "score"], "fits": [0]}
    assert found.message == ("the `loss` dict has key `scores`, but the model's outputs are `label`, `score`: "
                             "output `score` gets no loss")
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("rename-loss-key", "safe")]
    assert found.fixes[0].patched_source.splitlines()[15] == \
        '    loss={"label": "sparse_categorical_crossentropy", "score": "mse"},'
    assert_snapshot("GM007", render(report))


def test_loss_keys_that_name_every_output_are_silent():
    fit = fit_evidence(line=18, model_info=two_heads("linear"), data=TARGETS,
                       loss=keyed_loss(label="sparse_categorical_crossentropy", score="mse"))
    assert check(TYPO, fit).codes() == []


def test_a_head_without_a_loss_is_the_cause_of_its_gm002():
    score = ("score_head/kernel", "score_head/bias")
    rest = ("hidden/kernel", "hidden/bias", "label_head/kernel", "label_head/bias")
    fit = fit_evidence(line=18, model_info=two_heads("sigmoid"), data=TARGETS,
                       loss=keyed_loss(label="sparse_categorical_crossentropy"), probe=probe(none=score, ok=rest))
    report = check(ONE_LOSS, fit)
    assert report.codes() == ["GM007", "GM002"]
    cause, symptom = report.findings
    assert (cause.severity, cause.line, cause.layer) == ("warning", 16, "score_head")
    assert (cause.evidence["head_without_loss"], cause.evidence["head_parameters"]) == ("score", 17)
    assert symptom.caused_by == 0 and symptom.layer == "score_head"
    assert cause.fixes[0].patched_source.splitlines()[15] == \
        '    loss={"label": "sparse_categorical_crossentropy", "score": "binary_crossentropy"},'
