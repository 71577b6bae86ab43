"""Every private Keras/TensorFlow attribute gradmagic touches, in one place.

``tests/test_keras_adapter.py`` exercises each function here, so a Keras upgrade that
moves one of them fails that test instead of silently weakening a diagnosis.
"""

from __future__ import annotations

from typing import Any, Iterator

import keras
from keras.src.backend.tensorflow.trainer import TensorFlowTrainer


def flatten_layers(model: keras.Layer) -> Iterator[keras.Layer]:
    """Every layer below ``model`` (nested models included), parents before children."""
    return model._flatten_layers(include_self=False, recursive=True)


def inbound_layer_names(layer: keras.Layer) -> list[str]:
    """Names of the layers feeding ``layer`` in a functional graph (empty if unknown)."""
    names: list[str] = []
    for node in getattr(layer, "_inbound_nodes", []) or []:
        for parent in node.parent_nodes:
            name = parent.operation.name
            if name not in names:
                names.append(name)
    return names


def has_custom_train_step(model: keras.Model) -> bool:
    return type(model).train_step is not TensorFlowTrainer.train_step


def compiled_loss_config(model: keras.Model) -> Any:
    """The ``loss=`` given to ``compile`` (string, function, Loss object, list or dict), or None."""
    return getattr(model, "loss", None)


def is_compiled(model: keras.Model) -> bool:
    return bool(getattr(model, "compiled", False))


def variable_handle(variable: Any) -> Any:
    """The TF resource handle behind a Keras 3 variable (or a raw ``tf.Variable``)."""
    value = getattr(variable, "value", variable)
    return getattr(value, "handle", None)


def symbolic_build(model: keras.Model, data_batch: tuple) -> None:
    """Build model, loss and metric state the way ``fit`` does, without running a step."""
    model._symbolic_build(data_batch=data_batch)


def dataset_reshuffles(dataset: Any) -> bool:
    """True when iterating ``dataset`` again would change the order ``fit`` sees.

    Reads the dataset's graph for a shuffle op (``_variant_tensor`` is private to tf.data).
    """
    import tensorflow as tf

    try:
        graph_def = tf.raw_ops.DatasetToGraphV2(input_dataset=dataset._variant_tensor)
    except Exception:  # noqa: BLE001 - unknown datasets are treated as reshuffling
        return True
    text = graph_def.numpy()
    return b"ShuffleDataset" in text or b"ShuffleAndRepeatDataset" in text


def dataset_has_side_effects(dataset: Any) -> bool:
    """True when iterating ``dataset`` once more is not free: it runs Python code
    (``from_generator``, ``py_function``, ``numpy_function``) or fills a ``cache()``.

    Reads the dataset's graph like :func:`dataset_reshuffles`; unknown datasets count as True.
    """
    import tensorflow as tf

    try:
        graph_def = tf.raw_ops.DatasetToGraphV2(input_dataset=dataset._variant_tensor)
    except Exception:  # noqa: BLE001
        return True
    text = graph_def.numpy()
    return any(name in text for name in (b"PyFunc", b"NumpyFunction", b"GeneratorDataset", b"CacheDataset"))


def output_heads(model: keras.Model) -> list[tuple[str, str]]:
    """``(key, layer name)`` per output of a functional model; keys are the dict keys of dict
    outputs, else Keras's ``output_names``. Empty for models without symbolic outputs.

    Reads ``KerasTensor._keras_history`` to name the layer that produces each output.
    """
    try:
        structure = model.output
    except Exception:  # noqa: BLE001 - subclassed or unbuilt models have no symbolic output
        return []
    if isinstance(structure, dict):
        pairs = list(structure.items())
    else:
        tensors = structure if isinstance(structure, (list, tuple)) else [structure]
        names = list(getattr(model, "output_names", []) or [])
        if len(names) != len(tensors):
            return []
        pairs = list(zip(names, tensors))
    heads = []
    for key, tensor in pairs:
        history = getattr(tensor, "_keras_history", None)
        operation = getattr(history, "operation", None) or (history[0] if history else None)
        heads.append((str(key), getattr(operation, "name", str(key))))
    return heads


def train_function_id(model: keras.Model) -> int | None:
    """Identity of the train function Keras made (and traced) for ``model``; None until the
    first ``fit``/``train_on_batch`` after ``compile()`` (which resets it)."""
    function = getattr(model, "train_function", None)
    return id(function) if function is not None else None


def traced_graphs(function: Any) -> list[Any]:
    """The graphs of every concrete function a ``tf.function`` has traced so far (none are added).

    Uses ``Function._list_all_concrete_functions`` (private to TensorFlow).
    """
    try:
        return [concrete.graph for concrete in function._list_all_concrete_functions()]
    except Exception:  # noqa: BLE001 - not a tf.function, or TF moved the method
        return []


# -- the training-dynamics recorder (issue 4) ------------------------------------------------
def wrap_instance_method(obj: Any, name: str, make_wrapper: Any) -> Any:
    """Shadow ``obj.name`` with ``make_wrapper(original)`` on the instance; returns the undo.

    Bypasses Keras's attribute tracking (``__setattr__``), so nothing is tracked or saved.
    """
    had_own = name in obj.__dict__
    previous = obj.__dict__.get(name)
    object.__setattr__(obj, name, make_wrapper(getattr(obj, name)))

    def restore() -> None:
        if had_own:
            object.__setattr__(obj, name, previous)
        elif name in obj.__dict__:
            object.__delattr__(obj, name)

    return restore


def wrap_tape_gradient(on_target: Any) -> Any:
    """Call ``on_target(target)`` on every ``tf.GradientTape.gradient`` call; returns the undo."""
    import tensorflow as tf

    original = tf.GradientTape.__dict__["gradient"]

    def gradient(tape, target, *args, **kwargs):
        try:
            on_target(target)
        except Exception:  # noqa: BLE001 - never break the user's gradient
            pass
        return original(tape, target, *args, **kwargs)

    gradient.__wrapped__ = original
    tf.GradientTape.gradient = gradient

    def restore() -> None:
        tf.GradientTape.gradient = original

    return restore


def wrap_optimizer_apply(make_wrapper: Any) -> Any:
    """Shadow ``apply`` of every Keras optimizer class that defines its own (``BaseOptimizer``,
    ``LossScaleOptimizer``, user subclasses loaded now) with ``make_wrapper(original)``, where
    ``original(optimizer, grads, trainable_variables=None)`` is that class's function; returns the
    undo. Every optimizer instance, however the training step reaches it, goes through one of them
    (``apply_gradients`` calls ``apply``). Reads ``BaseOptimizer`` from the MRO (its module is private).
    """
    base = next(cls for cls in keras.optimizers.Optimizer.__mro__ if "apply" in cls.__dict__)
    classes, pending = [], [base]
    while pending:
        cls = pending.pop()
        if cls in classes:
            continue
        classes.append(cls)
        pending.extend(cls.__subclasses__())
    saved = [(cls, cls.__dict__["apply"]) for cls in classes if "apply" in cls.__dict__]
    for cls, original in saved:
        wrapper = make_wrapper(original)
        wrapper.__wrapped__ = original
        type.__setattr__(cls, "apply", wrapper)

    def restore() -> None:
        for cls, original in reversed(saved):
            type.__setattr__(cls, "apply", original)

    return restore


def optimizer_variables(optimizer: Any) -> list:
    """The trainable variables an optimizer was built for (``_trainable_variables``, private)."""
    return list(getattr(optimizer, "_trainable_variables", None) or [])


def optimizer_built_for(optimizer: Any) -> int | None:
    """How many variables an optimizer was built for (``_trainable_variables``, private); None
    when it does not say (not built yet, or not a Keras 3 optimizer)."""
    built_for = getattr(optimizer, "_trainable_variables", None)
    return len(built_for) if isinstance(built_for, list) else None


def build_as_apply_would(optimizer: Any, variables: list) -> None:
    """Build an optimizer exactly as its first ``apply(grads, variables)`` would (same name scope,
    same zero state), so that its state (a loss scale) can be read before that first ``apply``."""
    with keras.name_scope(optimizer.name, caller=optimizer):
        optimizer.build(variables)
    optimizer.built = True


def plain_variable(initial_value: Any, name: str) -> Any:
    """A non-trainable ``tf.Variable`` made eagerly, also when called inside a ``tf.function`` trace
    (it outlives the trace) or a distribution strategy's replica (it stays one variable, not a
    mirrored one). Calls ``ResourceVariable`` directly (private to TensorFlow): ``tf.Variable`` goes
    through the variable creators a strategy installs."""
    import tensorflow as tf
    from tensorflow.python.ops.resource_variable_ops import ResourceVariable

    with tf.init_scope():
        return ResourceVariable(initial_value, trainable=False, name=name)


def is_loss_scale_optimizer(optimizer: Any) -> bool:
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def swap_train_function(model: keras.Model, keep: Any = None) -> Any:
    """Make the next ``fit`` trace a fresh train function; returns the undo.

    The undo puts back a train function the user's code traced. When there was none (or only
    one gradmagic traced), the function traced during this fit stays, marked, just as Keras
    would keep its own: later ``fit`` calls must reuse a function traced at this point, with
    the trainable weights of this point (Keras 3 reads ``trainable`` when it traces).
    """
    previous = getattr(model, "train_function", None)
    model.train_function = None

    def restore() -> None:
        current = getattr(model, "train_function", None)
        if previous is None or getattr(previous, "__gradmagic_traced__", False):
            if current is not None:
                current.__gradmagic_traced__ = True
                if keep is not None:  # what a later fit needs to reuse this function (see recorder)
                    current.__gradmagic_recorder__ = keep
            if current is None:
                model.train_function = previous
        else:
            model.train_function = previous

    return restore


def stateless_forward(model: keras.Model, trainable: list, x: Any) -> Any:
    """``model(x, training=False)`` with ``trainable`` values in place of its trainable
    variables, leaving the model's own variables untouched (Keras ``stateless_call``)."""
    non_trainable = [v.value for v in model.non_trainable_variables]
    outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
    return outputs


def retrace_is_safe(model: keras.Model) -> bool:
    """True unless Keras already traced a train function for other trainable variables than
    the model has now (Keras reuses that function: retracing it would change what trains).

    Reads the optimizer's ``_trainable_variables``, the list it was built with at that trace.
    """
    if getattr(model, "train_function", None) is None:
        return True
    optimizer = getattr(model, "optimizer", None)
    built_for = getattr(optimizer, "_trainable_variables", None)
    if not getattr(optimizer, "built", False) or built_for is None:
        return False
    return {id(v) for v in built_for} == {id(v) for v in model.trainable_variables}


def eager_tensor_class() -> type:
    """The class whose ``numpy()`` an eager tensor calls (private in TF: ``_EagerTensorBase``)."""
    from tensorflow.python.framework import ops as tf_ops

    return tf_ops._EagerTensorBase


def runs_eagerly(model: keras.Model) -> bool:
    """Whether ``fit`` runs the train step eagerly (``compile(run_eagerly=True)``)."""
    return bool(getattr(model, "run_eagerly", False))
