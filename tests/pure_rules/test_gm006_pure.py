"""GM006 from constructed evidence: `compile()` without a loss; a generator yielding a list."""

import numpy as np
from builders_gm0 import NO_LOSS, failed, prefixed
from evidence_builder import FILENAME, check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.data import DataSample

SOURCE = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 3, size=(64,))

model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", metrics=["accuracy"])
model.fit(x, y, epochs=2, verbose=0)
"""

CLASSIFIER = prefixed(model_info((dense("dense", 8, inputs=4, activation="relu", line=11), 4, 8),
                                 (dense("dense_1", 3, inputs=8, activation="softmax", line=12), 8, 3)), "sequential")
CLASS_IDS = DataSample(kind="arrays", has_targets=True, batch_size=32, available=True,
                       y=np.random.default_rng(0).integers(0, 3, size=32))
NO_LOSS_ERROR = "No loss to compute. Provide a `loss` argument in `compile()`."


def test_compile_without_a_loss_is_gm006_with_a_loss_for_the_softmax_and_the_class_ids():
    fit = fit_evidence(line=15, model_info=CLASSIFIER, data=CLASS_IDS, loss=NO_LOSS,
                       **failed("ValueError", NO_LOSS_ERROR, in_probe=True))
    report = check(SOURCE, fit)
    assert report.codes() == ["GM006"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 14, None)
    assert found.evidence == {"loss": None, "train_step": "built-in", "output_activation": "softmax",
                              "targets": "integer", "suggested_loss": '"sparse_categorical_crossentropy"', "fits": [0]}
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("add-loss", "review")]
    assert found.fixes[0].patched_source.splitlines()[13] == \
        'model.compile(optimizer="adam", metrics=["accuracy"], loss="sparse_categorical_crossentropy")'
    assert_snapshot("GM006", render(report))


def test_no_loss_is_silent_until_keras_says_it_needs_one():
    # a custom train_step that never calls compute_loss trains without a compiled loss
    fit = fit_evidence(line=15, model_info=CLASSIFIER, data=CLASS_IDS, loss=NO_LOSS, custom_train_step=True)
    assert check(SOURCE, fit).codes() == []


GENERATOR = """import keras


def batches(batch_size=16):
    while True:
        for start in range(0, len(x), batch_size):
            yield [x[start:start + batch_size], y[start:start + batch_size]]


model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
"""


def test_a_generator_yielding_a_list_is_gm006_with_a_tuple_fix():
    data = DataSample(kind="generator", has_targets=False, element_kind="list of 2", available=True,
                      origin=(FILENAME, 7))
    message = ("When passing a Python generator to a Keras model, the generator must return a tuple, either (input,) "
               "or (inputs, targets) or (inputs, targets, sample_weights). Received: [array([[0.5488135 , ...]])]")
    found = check(GENERATOR, fit_evidence(line=12, data=data, **failed("ValueError", message))).findings[0]
    assert (found.code, found.line) == ("GM006", 7)
    assert found.evidence == {"source": "generator", "element": "list of 2", "expected": "tuple (x, y)",
                              "has_targets": False, "fits": [0]}
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("yield-tuple", "safe")]
    assert found.fixes[0].patched_source.splitlines()[6] == \
        "            yield x[start:start + batch_size], y[start:start + batch_size]"
