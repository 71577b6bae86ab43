"""The pre-flight pass: what it reads, that it stays bounded, and no false alarms on healthy programs."""

from __future__ import annotations

import ast
import builtins

import keras
import numpy as np
import pytest
from helpers import PROGRAMS, check_program

from gradmagic.pipeline.session import check
from gradmagic.evidence.data_origin import data_origins
from gradmagic.evidence.facts.preflight import Preflight
from gradmagic.evidence.preflight import loss_info, scan_array, shape_relation


def preflight_of(source: str, filename: str = "/tmp/preflight_case.py", train: bool = False):
    """Run ``source`` under a check; the pre-flight of its first fit, the report, the namespace."""
    keras.backend.clear_session()
    session = check(source, filename, train=train)
    namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
    with session as report:
        exec(compile(source, filename, "exec"), namespace)
    preflight = session.evidence[0].preflight
    assert isinstance(preflight, Preflight), report.notices
    return preflight, report, namespace


MODEL = """
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
"""


def test_ten_million_row_pipeline_is_sampled_one_batch_deep():
    source = """import keras, tensorflow as tf
ds = tf.data.Dataset.range(10_000_000).map(
    lambda i: (tf.fill([4], tf.cast(i, tf.float32) / 1e7), tf.reshape(tf.cast(i % 2, tf.float32), [1]))).batch(32)
""" + MODEL + "history = model.fit(ds, epochs=1, steps_per_epoch=3, verbose=0)\n"
    preflight, report, namespace = preflight_of(source, train=True)
    (inputs,) = preflight.inputs
    assert inputs.rows_scanned == 32 and inputs.rows_total is None
    assert preflight.sampled == "the first batch (32 rows) of the dataset"
    assert preflight.outputs[0].relation == "same"
    assert report.fits[0].status == "completed"
    assert len(namespace["history"].history["loss"]) == 1


def test_infinite_generator_gives_one_element_and_fit_still_sees_it():
    source = """import numpy as np, keras
pulled = []
def forever():
    step = 0
    while True:
        pulled.append(step)
        rng = np.random.default_rng(step)
        yield rng.random((16, 4)).astype("float32"), rng.random((16, 1)).astype("float32")
        step += 1
""" + MODEL + "history = model.fit(forever(), epochs=1, steps_per_epoch=2, verbose=0)\n"
    preflight, report, namespace = preflight_of(source, train=False)
    assert namespace["pulled"] == [0]  # the pre-flight looked at the element fit will get first, nothing more
    assert preflight.inputs[0].rows_scanned == 16 and preflight.targets[0].rows_scanned == 16
    preflight, report, namespace = preflight_of(source, train=True)
    assert report.fits[0].status == "completed"
    assert namespace["pulled"] == [0, 1]  # two steps: the replayed first element, then the generator's next


def test_large_arrays_are_scanned_up_to_the_row_limit():
    values = np.zeros((300_000, 2), dtype="float32")
    values[7, 1] = np.inf
    values[250_000, 0] = np.nan  # beyond the scanned rows: not counted
    stats = scan_array(values, "x", "inputs")
    assert stats.rows_scanned == 100_000 and stats.rows_total == 300_000 and not stats.complete
    assert (stats.nan_count, stats.inf_count) == (0, 1)
    assert stats.first_nonfinite == (7, 1)
    assert stats.constant_columns == [0, 1]  # only finite values count: column 1 is 0 apart from the inf


def test_scan_counts_rows_columns_and_scale():
    values = np.arange(40, dtype="float64").reshape(10, 4)
    values[:, 3] = 5.0
    values[2, 1] = np.nan
    values[4, 1] = np.nan
    stats = scan_array(values, "x", "inputs")
    assert (stats.nan_count, stats.nonfinite_rows, stats.first_nonfinite) == (2, 2, (2, 1))
    assert stats.nonfinite_columns == [1] and stats.all_nonfinite_columns == []
    assert stats.constant_columns == [3] and stats.constant_values == [5.0]
    assert (stats.min, stats.max, stats.integral) == (0.0, 38.0, True)


@pytest.mark.parametrize("target, output, relation", [
    ((), (1,), "expand"),
    ((1,), (), "squeeze"),
    ((10,), (10,), "same"),
    ((), (10,), "ids"),
    ((1,), (10,), "ids-column"),
    ((10,), (1,), "different"),
    ((28, 28), (10,), "different"),
])
def test_shape_relation(target, output, relation):
    assert shape_relation(target, output) == relation


def test_loss_info_reads_strings_functions_objects_and_custom_losses():
    assert (loss_info("mse").name, loss_info("mse").family) == ("mean_squared_error", "regression")
    cce = loss_info(keras.losses.CategoricalCrossentropy(from_logits=True))
    assert (cce.name, cce.family, cce.from_logits, cce.form) == ("categorical_crossentropy", "categorical", True,
                                                                 "object")
    sparse = loss_info(keras.losses.sparse_categorical_crossentropy)
    assert (sparse.family, sparse.form, sparse.from_logits) == ("sparse", "function", False)
    assert loss_info("bce").family == "binary"

    def my_loss(y_true, y_pred):
        return y_true - y_pred

    assert (loss_info(my_loss).family, loss_info(my_loss).form) == ("custom", "custom-function")
    assert loss_info(None).family == "none"


def test_output_activation_is_read_through_a_final_activation_layer():
    run_source = (PROGRAMS / "healthy" / "cce_one_hot_softmax.py").read_text()
    preflight, _, _ = preflight_of(run_source, str(PROGRAMS / "healthy" / "cce_one_hot_softmax.py"))
    (head,) = preflight.outputs
    assert head.activation == "softmax" and head.activation_layer.class_name == "Activation"
    assert head.units_layer.class_name == "Dense" and head.units == 3
    assert head.loss.name == "categorical_crossentropy" and head.target_kind == "one-hot"
    assert preflight.forward_pass is False  # nothing looks off: the outputs are not measured
    assert head.observed_min is None


def test_a_head_that_looks_wrong_gets_its_outputs_measured():
    source = """import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(32, 4).astype("float32")
y = keras.utils.to_categorical(np.arange(32) % 3, 3)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="sigmoid")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, verbose=0)
"""
    preflight, _, _ = preflight_of(source)
    (head,) = preflight.outputs
    assert preflight.forward_pass is True
    assert 0 < head.observed_min <= head.observed_max < 1 and head.observed_row_sums_one is False
    assert head.loss_value is not None and head.loss_value > 0


def test_multi_output_heads_get_their_own_loss_and_targets():
    path = PROGRAMS / "healthy" / "multi_output.py"
    preflight, _, _ = preflight_of(path.read_text(), str(path))
    heads = {head.key: head for head in preflight.outputs}
    assert heads["label"].loss.family == "sparse" and heads["label"].target_kind == "integer"
    assert heads["label"].relation == "ids" and heads["label"].units == 3
    assert heads["score"].loss.family == "regression" and heads["score"].relation == "same"
    assert heads["score"].targets.origin.line == 9


ORIGINS = """import numpy as np
x = np.load("a.npy")
y = np.load("b.npy")
x[0, 0] = np.nan
(x_train, y_train), (x_test, y_test) = load()
ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
ds = ds.batch(32)

def train(features):
    features = features * 2
    model.fit(features, y_train)

model.fit(x, y=y[:, None])
model.fit(ds, epochs=2)
model.fit([x, x_test], {"out": y})
"""


@pytest.mark.parametrize("fit_line, expected", [
    (13, {"x": ("x", 4), "y": ("y", 3)}),
    (14, {"x": ("x_train", 5), "y": ("y_train", 5)}),
    (11, {"x": ("features", 10), "y": ("y_train", 5)}),
    (15, {"x[0]": ("x", 4), "x[1]": ("x_test", 5), "y['out']": ("y", 3)}),
])
def test_data_origin_is_the_last_assignment_before_fit(fit_line, expected):
    origins = data_origins(ast.parse(ORIGINS), fit_line)
    assert {key: (o.name, o.line) for key, o in origins.items()} == expected


def test_data_origin_follows_a_dataset_back_to_its_arrays():
    origins = data_origins(ast.parse(ORIGINS), 14)
    assert origins["x"].via == "ds" and origins["x"].expression == "x_train"


HEALTHY = sorted(path.stem for path in (PROGRAMS / "healthy").glob("*.py"))


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_programs_raise_no_loss_or_data_finding(name):
    run = check_program(f"healthy/{name}")
    serious = [(f.code, f.message) for f in run.report.findings
               if f.code.startswith(("GM1", "GM2")) and f.severity in ("error", "warning")]
    assert serious == []
