"""GM013 from constructed evidence: one Adam compiled into two models; the second `fit` meets its variables."""

from dataclasses import replace

from builders_gm0 import failed, prefixed, probe
from evidence_builder import check, dense, fit_evidence, model_info, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.compiled import OptimizerState

SOURCE = """import numpy as np
import keras

keras.utils.set_random_seed(4)
x = np.random.rand(64, 4).astype("float32")
y = (x @ np.array([[0.5], [-1.0], [2.0], [0.1]])).astype("float32")

opt = keras.optimizers.Adam(1e-3)
small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
small.compile(optimizer=opt, loss="mse")
wide = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
wide.compile(optimizer=opt, loss="mse")
small.fit(x, y, epochs=2, batch_size=16, verbose=0)
wide.fit(x, y, epochs=2, batch_size=16, verbose=0)
"""

SHARED_ADAM = OptimizerState(identity=2, class_name="Adam", built_for_variables=2)  # built by `small`'s fit
SMALL = prefixed(model_info((dense("dense", 1, inputs=4, line=9), 4, 1)), "sequential")
WIDE = prefixed(model_info((dense("dense_1", 16, inputs=4, activation="relu", line=11), 4, 16),
                           (dense("dense_2", 1, inputs=16, line=11), 16, 1), name="sequential_1"), "sequential_1")
UNKNOWN = ("Unknown variable: <Variable path=sequential_1/dense_1/kernel, shape=(4, 16), dtype=float32>. "
           "This optimizer can only be called for the variables it was originally built with. When working with a "
           "new set of variables, you should recreate a new optimizer instance.")


def fits(message: str = UNKNOWN):
    small = fit_evidence(index=0, line=13, model_identity=1, model_info=SMALL, optimizer=SHARED_ADAM)
    wide = fit_evidence(index=1, line=14, model_identity=3, model_info=WIDE, optimizer=SHARED_ADAM,
                        probe=probe(ok=tuple(v.path for v in WIDE.variables), loss=2.2545, loss_reads_prediction=True,
                                    outputs_read=[True]),
                        **failed("ValueError", message))
    return wide, [small]


def test_one_optimizer_for_two_models_is_gm013_with_an_optimizer_of_its_own():
    report = check(SOURCE, *fits())
    assert report.codes() == ["GM013"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 12, None)  # the second compile(optimizer=opt)
    assert found.evidence == {"exception_type": "ValueError", "exception_message": UNKNOWN,
                              "unknown_variable": "sequential_1/dense_1/kernel", "built_for_variables": 2,
                              "optimizer": "Adam", "models": ["sequential", "sequential_1"], "first_fit_line": 13,
                              "shared_name": "opt", "created_line": 8, "fits": [1]}
    assert [(fix.id, fix.safety) for fix in found.fixes] == [("own-optimizer", "safe")]
    assert found.fixes[0].patched_source.splitlines()[11] == \
        'wide.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")'
    assert_snapshot("GM013", render(report))


def test_an_optimizer_error_of_another_kind_is_silent():
    wide, earlier = fits("Argument `learning_rate` should be float, or an instance of LearningRateSchedule")
    assert check(SOURCE, wide, earlier).codes() == []


def test_two_models_with_optimizers_of_their_own_are_silent():
    wide, [small] = fits()
    wide = replace(wide, status="completed", exception=None, optimizer=replace(SHARED_ADAM, identity=4))
    assert check(SOURCE, wide, [small]).codes() == []
