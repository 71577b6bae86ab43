"""One batch through the model and its loss under a ``GradientTape``: which weights get a gradient.

The step is traced with ``tf.function`` and the traced graph is walked (``graph_walk``) to
name the op and line where the gradient stops. For the compiled loss the traced step is
then run once on the batch to see which gradients are exactly zero; every model variable
is restored afterwards, so the probe leaves no trace in the user's model. A custom
``train_step`` is traced only, never run: nothing can update the user's weights.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from gradmagic.capture import keras_adapter
from gradmagic.capture.source import SourceUnit
from gradmagic.evidence.batches import DataSample, as_tensors
from gradmagic.evidence.graph_walk import GradientCut, find_cuts
from gradmagic.evidence.model_info import variable_path


@dataclass
class VariableGradient:
    path: str
    state: str  # "none" | "zero" | "ok" | "traced" (connected, not run)
    norm: float | None = None
    max_abs: float | None = None


@dataclass
class OutsideTape:
    """An op on the path to a taped loss that the tape did not record."""

    op_type: str
    line: int | None
    variables: list[str]


@dataclass
class ProbeError:
    type: str
    message: str
    line: int | None


@dataclass
class ProbeResult:
    mode: str  # "compile" | "train_step"
    gradients: list[VariableGradient] = field(default_factory=list)
    cuts: list[GradientCut] = field(default_factory=list)
    outside_tape: list[OutsideTape] = field(default_factory=list)
    loss: float | None = None
    error: ProbeError | None = None
    tape_calls: int = 0

    def paths_in_state(self, state: str) -> list[str]:
        return [g.path for g in self.gradients if g.state == state]


def _specs(value: Any) -> Any:
    return tf.nest.map_structure(
        lambda t: tf.TensorSpec([None, *t.shape[1:]], t.dtype) if isinstance(t, tf.Tensor) and t.shape.rank else t,
        value,
    )


def _snapshot(model: keras.Model) -> list[tuple[Any, np.ndarray]]:
    variables = list(model.variables) + list(getattr(model, "metrics_variables", []))
    return [(v, np.array(v.numpy(), copy=True)) for v in variables]


def _restore(snapshot: list[tuple[Any, np.ndarray]]) -> None:
    for variable, value in snapshot:
        variable.assign(value)


def _error(error: BaseException, source: SourceUnit) -> ProbeError:
    return ProbeError(type(error).__name__, str(error).strip().splitlines()[0] if str(error).strip() else "",
                      source.traceback_line(error.__traceback__))


def _variable_inputs(graph: tf.Graph, variables: list) -> dict[str, tf.Tensor]:
    """The placeholders a traced graph uses for each variable's resource handle, by path."""
    captured = {id(external): internal for external, internal in graph.captures}
    found = {}
    for variable in variables:
        handle = keras_adapter.variable_handle(variable)
        if handle is not None and id(handle) in captured:
            found[variable_path(variable)] = captured[id(handle)]
    return found


def _line_of(source: SourceUnit) -> Callable[[tf.Operation], int | None]:
    return lambda op: source.op_line(op.traceback)


def ensure_built(model: keras.Model, sample: DataSample) -> None:
    """Build an unbuilt model the way ``fit`` would, so the probe can trace it."""
    if model.built and all(layer.built for layer in keras_adapter.flatten_layers(model)):
        return
    keras_adapter.symbolic_build(model, (as_tensors(sample.x), as_tensors(sample.y), as_tensors(sample.sample_weight)))


def probe_compiled_loss(model: keras.Model, sample: DataSample, source: SourceUnit) -> ProbeResult:
    """Trace forward pass + ``compute_loss``; find cuts; run once for exact zeros."""
    result = ProbeResult(mode="compile")
    x, y, sw = as_tensors(sample.x), as_tensors(sample.y), as_tensors(sample.sample_weight)
    trainable = list(model.trainable_variables)
    none_at_trace: list[bool] = []

    def step(x, y, sw):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=True)
        grads = tape.gradient(loss, trainable)
        none_at_trace[:] = [g is None for g in grads]
        return loss, [g for g in grads if g is not None]

    try:
        concrete = tf.function(step).get_concrete_function(_specs(x), _specs(y), _specs(sw))
    except Exception as error:  # noqa: BLE001 - the user's loss/forward pass failed to trace
        result.error = _error(error, source)
        return result

    graph = concrete.graph
    loss_tensor = graph.outputs[0]
    if any(none_at_trace):
        inputs = _variable_inputs(graph, [v for v, none in zip(trainable, none_at_trace) if none])
        result.cuts, _ = find_cuts(graph, list(inputs.values()), loss_tensor, _line_of(source))

    values: list[Any] = []
    with contextlib.suppress(Exception):
        snapshot = _snapshot(model)
        try:
            loss_value, values = concrete(x, y, sw)
            result.loss = float(loss_value)
        finally:
            _restore(snapshot)
    computed = iter(values)
    for variable, none in zip(trainable, none_at_trace):
        path = variable_path(variable)
        if none:
            result.gradients.append(VariableGradient(path, "none"))
            continue
        grad = next(computed, None)
        if grad is None:
            result.gradients.append(VariableGradient(path, "traced"))
            continue
        grad = np.asarray(tf.convert_to_tensor(grad))
        norm = float(np.linalg.norm(grad))
        state = "zero" if not np.any(grad) else "ok"
        result.gradients.append(VariableGradient(path, state, norm, float(np.max(np.abs(grad)))))
    return result


@dataclass
class _TapeCall:
    target: Any
    sources: list
    results: list


@contextlib.contextmanager
def _recording_tape_gradients(calls: list[_TapeCall]):
    original = tf.GradientTape.gradient

    def gradient(tape, target, sources, *args, **kwargs):
        results = original(tape, target, sources, *args, **kwargs)
        calls.append(_TapeCall(target, tf.nest.flatten(sources), tf.nest.flatten(results)))
        return results

    tf.GradientTape.gradient = gradient
    try:
        yield
    finally:
        tf.GradientTape.gradient = original


def probe_train_step(model: keras.Model, sample: DataSample, source: SourceUnit) -> ProbeResult:
    """Trace the user's ``train_step`` without running it and explain every ``None`` gradient."""
    result = ProbeResult(mode="train_step")
    element = sample.element if sample.element is not None else (sample.x, sample.y)
    data = as_tensors(element if isinstance(element, tuple) else (element,))
    calls: list[_TapeCall] = []
    with _recording_tape_gradients(calls):
        try:
            tf.function(model.train_step).get_concrete_function(_specs(data))
        except Exception as error:  # noqa: BLE001 - e.g. "No gradients provided" raised at trace time
            result.error = _error(error, source)
    result.tape_calls = len(calls)
    by_path: dict[str, VariableGradient] = {}
    for call in calls:
        _explain_tape_call(call, source, result, by_path)
    for variable in model.trainable_variables:
        path = variable_path(variable)
        if path not in by_path:
            by_path[path] = VariableGradient(path, "none" if calls else "traced")
    result.gradients = list(by_path.values())
    return result


def _explain_tape_call(call: _TapeCall, source: SourceUnit, result: ProbeResult, by_path: dict) -> None:
    target = call.target
    if not isinstance(target, tf.Tensor) or not hasattr(target, "graph"):
        return
    graph = target.graph
    none_sources = []
    for variable, grad in zip(call.sources, call.results):
        path = variable_path(variable)
        if grad is None:
            none_sources.append(variable)
            by_path.setdefault(path, VariableGradient(path, "none"))
        else:
            by_path[path] = VariableGradient(path, "traced")
    if not none_sources:
        return
    inputs = _variable_inputs(graph, none_sources)
    if not inputs:
        return
    with graph.as_default():
        symbolic = tf.compat.v1.gradients(target, list(inputs.values()))
    untaped = [path for path, grad in zip(inputs, symbolic) if grad is not None]
    cut_inputs = [tensor for (path, tensor), grad in zip(inputs.items(), symbolic) if grad is None]
    line_of = _line_of(source)
    if untaped:
        _, path_ops = find_cuts(graph, [inputs[p] for p in untaped], target, line_of)
        tape_lines = source_tape_lines(source)
        outside = [
            (depth, op) for op, depth in path_ops.items()
            if (line := line_of(op)) is not None and line not in tape_lines
        ]
        if outside:
            depth, op = min(outside, key=lambda item: item[0])
            result.outside_tape.append(OutsideTape(op.type, line_of(op), untaped))
    if cut_inputs:
        cuts, _ = find_cuts(graph, cut_inputs, target, line_of)
        result.cuts.extend(cuts)


def source_tape_lines(source: SourceUnit) -> set[int]:
    """Lines inside ``with tf.GradientTape() ...:`` blocks of the checked source."""
    import ast

    lines: set[int] = set()
    if source.tree is None:
        return lines
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(
            "GradientTape" in ast.unparse(item.context_expr) for item in node.items
        ):
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


def run_probe(model: keras.Model, sample: DataSample, source: SourceUnit) -> ProbeResult | None:
    """The probe that fits how this model trains, or None when there is no batch to probe with."""
    if keras_adapter.has_custom_train_step(model):
        if sample.element is None and sample.x is None:
            return None
        return probe_train_step(model, sample, source)
    if not sample.available:
        return None
    ensure_built(model, sample)
    return probe_compiled_loss(model, sample, source)
