"""GM009 from constructed evidence: a layer unfrozen after Keras traced the train step; a model frozen whole."""

from dataclasses import replace

import numpy as np
from builders_gm0 import SPARSE_LOGITS_LOSS, prefixed
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.data import DataSample

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.randint(0, 3, size=(64,))

base = keras.layers.Dense(8, activation="relu", name="base")
model = keras.Sequential([keras.Input((4,)), base, keras.layers.Dense(3, name="head")])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

base.trainable = False
model.fit(x, y, epochs=1, batch_size=16, verbose=0)

base.trainable = True
history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
"""

TRAIN_FUNCTION = 7001  # the identity of Keras's traced train function, the same across the two calls
CLASS_IDS = DataSample(kind="arrays", has_targets=True, batch_size=16, available=True,
                       y=np.random.default_rng(0).integers(0, 3, size=16))


def model(base_trainable: bool):
    return prefixed(model_info((dense("base", 8, inputs=4, activation="relu", line=8, trainable=base_trainable), 4, 8),
                               (dense("head", 3, inputs=8, line=9), 8, 3)), "sequential")


def fits(*, recompiled: bool = False, run_eagerly: bool = False):
    """The frozen first ``fit`` (line 13) and the second one after the unfreeze (line 16)."""
    first = fit_evidence(index=0, line=13, model_info=model(False), loss=SPARSE_LOGITS_LOSS, data=CLASS_IDS,
                         train_function_after=TRAIN_FUNCTION)
    second = replace(first, index=1, line=16, model_info=model(True), run_eagerly=run_eagerly,
                     train_function_before=None if recompiled else TRAIN_FUNCTION)
    return second, [first]


def test_unfreezing_after_the_trace_is_gm009_with_a_compile_again_fix():
    report = check(SOURCE, *fits())
    assert report.codes() == ["GM009"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("warning", 15, "base")
    assert found.evidence == {"layers": ["base"], "traced_at_line": 13, "trainable_when_traced": 2, "trainable_now": 4,
                              "variables_not_updated": ["sequential/base/kernel", "sequential/base/bias"], "fits": [1]}
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("compile-again", "review")]
    assert found.fixes[0].patched_source.splitlines()[14:17] == [
        "base.trainable = True",
        'model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))',
        "history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)"]
    assert_snapshot("GM009", render(report))


def test_a_compile_between_the_calls_traces_again_and_is_silent():
    assert check(SOURCE, *fits(recompiled=True)).codes() == []


def test_a_step_run_eagerly_reads_trainable_each_time_and_is_silent():
    assert check(SOURCE, *fits(run_eagerly=True)).codes() == []


FROZEN = """import keras

model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")])
for layer in model.layers:
    layer.trainable = False
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""


def test_every_layer_frozen_before_the_first_fit_is_an_error():
    frozen = prefixed(model_info((dense("dense", 8, inputs=4, activation="relu", line=3, trainable=False), 4, 8),
                                 (dense("dense_1", 3, inputs=8, activation="softmax", line=3, trainable=False), 8, 3)),
                      "sequential")
    found = check(FROZEN, fit_evidence(line=7, model_info=frozen, data=CLASS_IDS)).findings[0]
    assert (found.code, found.severity, found.line, found.layer) == ("GM009", "error", 5, "dense")
    assert (found.evidence["frozen_layers"], found.evidence["weights"], found.evidence["parameters"]) == \
        (["dense", "dense_1"], 4, 67)
    assert found.fixes[0].patched_source.splitlines()[4] == "    layer.trainable = True"
