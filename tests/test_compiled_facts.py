"""What ``compile()`` set and what the model holds, measured as plain facts (issue 11): no live Keras
object reaches a rule."""

from __future__ import annotations

import dataclasses
import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

import gradmagic
from gradmagic.evidence.compiled import describe_loss
from gradmagic.evidence.model_info import describe_model


def my_loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_true - y_pred))


def test_no_loss_is_no_structure():
    setup = describe_loss(None)
    assert (setup.structure, setup.given, setup.entries) == ("none", False, ())


def test_a_string_a_loss_object_and_a_function():
    text = describe_loss("mse").entries[0]
    assert (text.text, text.name, text.class_name, text.is_metric, text.code_file) == ("mse", "mse", "str", False, None)

    logits = describe_loss(keras.losses.CategoricalCrossentropy(from_logits=True)).entries[0]
    assert (logits.name, logits.class_name, logits.from_logits, logits.text) == (
        "categorical_crossentropy", "CategoricalCrossentropy", True, None)
    assert logits.module.startswith("keras")

    function = describe_loss(my_loss)
    entry = function.entries[0]
    assert (function.structure, function.type_name) == ("single", "function")
    assert (entry.name, entry.function_name, entry.code_name, entry.code_file) == ("my_loss", "my_loss", "my_loss",
                                                                                   __file__)
    assert entry.code_line == my_loss.__code__.co_firstlineno

    anonymous = describe_loss(lambda y_true, y_pred: y_pred).entries[0]
    assert (anonymous.name, anonymous.function_name, anonymous.code_name) == ("lambda", "<lambda>", "<lambda>")

    partial = describe_loss(functools.partial(keras.losses.binary_crossentropy, from_logits=True)).entries[0]
    assert (partial.name, partial.from_logits) == ("binary_crossentropy", True)


def test_a_metric_given_as_the_loss():
    with_loss = describe_loss(keras.metrics.MeanSquaredError()).entries[0]
    assert (with_loss.is_metric, with_loss.metric_like, with_loss.loss_class_of_same_name) == (True, True, True)
    without = describe_loss(keras.metrics.Accuracy()).entries[0]
    assert (without.is_metric, without.class_name, without.loss_class_of_same_name) == (True, "Accuracy", False)


def test_dicts_and_lists_keep_their_keys_and_their_empty_entries():
    keyed = describe_loss({"label": "sparse_categorical_crossentropy", "score": None})
    assert (keyed.structure, keyed.keyed, keyed.keys, keyed.type_name) == ("dict", True, ["label", "score"], "dict")
    assert keyed.entry("score").given is False and keyed.entry("label").given is True
    assert [e.name for e in keyed.present()] == ["sparse_categorical_crossentropy"]
    listed = describe_loss(["mse", None])
    assert (listed.structure, listed.keys, [e.given for e in listed.entries]) == ("sequence", [], [True, False])


def test_an_entry_whose_attributes_raise_is_described_by_its_type():
    class Awkward:
        def __call__(self, y_true, y_pred):
            return y_pred

        @property
        def fn(self):
            raise RuntimeError("not readable")

    entry = describe_loss(Awkward()).entries[0]
    assert (entry.given, entry.class_name, entry.name) == (True, "Awkward", "Awkward")


class Scaled(keras.layers.Layer):
    def call(self, x):
        return x * 2.0


class Twice(Scaled):
    pass


class Holder(keras.Model):
    def __init__(self):
        super().__init__()
        self.first = keras.layers.Dense(3, name="first_dense")
        self.second = Twice(name="twice")
        self.width = 3

    def call(self, x):
        return self.second(self.first(x))


def test_the_model_description_names_classes_attributes_and_output_units():
    holder = Holder()
    holder(np.zeros((2, 4), "float32"))
    info = describe_model(holder)
    assert info.class_chain[:2] == ("Holder", "Model") and "object" not in info.class_chain
    assert info.layer("twice").class_chain[:3] == ("Twice", "Scaled", "Layer")
    assert info.layer_attributes == (("first", "first_dense"), ("second", "twice"))
    assert info.output_units == ()  # a subclassed model has no symbolic outputs

    inputs = keras.Input((4,))
    functional = keras.Model(inputs, [keras.layers.Dense(5)(inputs), keras.layers.Dense(1)(inputs)])
    assert describe_model(functional).output_units == (5, 1)


def test_a_traced_call_lists_the_variables_its_layer_owns():
    class Traced(keras.layers.Layer):
        def build(self, shape):
            self.scale = self.add_weight(shape=(), initializer="ones")

        @tf.function
        def call(self, x):
            return x * self.scale

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Traced(name="traced")(keras.layers.Dense(2)(inputs)))
    traced = next(t for t in describe_model(model).traced_calls if t.layer == "traced")
    assert traced.variable_paths == tuple(v.path for v in model.get_layer("traced").weights) and traced.variable_paths


SHARED_OPTIMIZER = """
import keras
import numpy as np

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).random((16, 4)).astype("float32")
opt = keras.optimizers.Adam(1e-3)
first = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
second = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2), keras.layers.Dense(1)])
first.compile(optimizer=opt, loss="mse")
second.compile(optimizer=opt, loss="mse")
eager = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
eager.compile(optimizer="sgd", loss=keras.losses.MeanSquaredError(), run_eagerly=True)
first.fit(x, x[:, :1], epochs=1, verbose=0)
second.fit(x, x[:, :1], epochs=1, verbose=0)
first.fit(x, x[:, :1], epochs=1, verbose=0)
eager.fit(x, x[:, :1], epochs=1, verbose=0)
"""


def _live_objects(value, path="evidence", seen=None):
    """Paths inside ``value`` that hold a Keras or TensorFlow object."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, (str, bytes, int, float, bool, type(None), np.ndarray, np.generic)):
        return []
    seen.add(id(value))
    module = type(value).__module__ or ""
    if module.startswith(("keras", "tensorflow")):
        return [f"{path}: {type(value).__name__}"]
    if dataclasses.is_dataclass(value):
        items = [(f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in value.items()]
    elif isinstance(value, (list, tuple, set)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return []
    return [found for sub_path, item in items for found in _live_objects(item, sub_path, seen)]


@pytest.fixture
def shared_optimizer_run(tmp_path):
    keras.backend.clear_session()
    path = tmp_path / "shared_optimizer.py"
    path.write_text(SHARED_OPTIMIZER)
    session = gradmagic.check(SHARED_OPTIMIZER, str(path), reraise=False)
    with session:
        exec(compile(SHARED_OPTIMIZER, str(path), "exec"), {"__name__": "__main__"})
    return session


def test_the_evidence_names_models_and_optimizers_by_number(shared_optimizer_run):
    first, second, again, eager = shared_optimizer_run.evidence
    assert first.model_identity == again.model_identity != second.model_identity
    assert first.optimizer.identity == second.optimizer.identity != eager.optimizer.identity
    assert (first.optimizer.class_name, eager.optimizer.class_name) == ("Adam", "SGD")
    assert second.optimizer.built_for_variables == 2  # the kernel and bias of `first`, not the 4 of `second`
    assert (first.run_eagerly, eager.run_eagerly) == (False, True)
    assert (first.loss.entries[0].text, eager.loss.entries[0].class_name) == ("mse", "MeanSquaredError")
    assert [f.status for f in shared_optimizer_run.report.fits] == ["completed", "failed", "completed", "completed"]
    assert "GM013" in shared_optimizer_run.report.codes()


def test_the_evidence_holds_no_live_object(shared_optimizer_run):
    for evidence in shared_optimizer_run.evidence:
        assert not _live_objects(evidence)
        assert not {"model", "loss_config", "fit_kwargs"} & {f.name for f in dataclasses.fields(evidence)}


def test_the_walk_finds_a_live_object():
    assert _live_objects({"loss": [keras.losses.MeanSquaredError()]}) == ["evidence['loss'][0]: MeanSquaredError"]
