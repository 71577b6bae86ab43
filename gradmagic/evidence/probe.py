"""One batch through the model and its loss under a ``GradientTape``: which weights get a gradient.

The step is traced with ``tf.function`` and the traced graph is walked (``graph_walk``) to
name the op and line where the gradient stops. For the compiled loss the traced step is
then run once on the batch to see which gradients are exactly zero; every model variable
is restored afterwards, so the probe leaves no trace in the user's model. A custom
``train_step`` is traced only, never run: nothing can update the user's weights.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from gradmagic.core import keras_adapter
from gradmagic.core.source import SourceUnit
from gradmagic.evidence.batches import FitBatch, as_tensors
from gradmagic.evidence.facts.model import ModelInfo
from gradmagic.evidence.facts.probe import (
    Broadcast,
    GradientCut,
    LeftTensorFlow,
    OutsideTape,
    ProbeError,
    ProbeResult,
    VariableGradient,
)
from gradmagic.evidence.graph_walk import (
    backward_ops,
    depends_on,
    find_cuts,
    find_zeroing_ops,
    forward_ops,
    scopes_in_trace_order,
)
from gradmagic.evidence.model_info import variable_path
from gradmagic.core.errors import error_summary


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


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error(error: BaseException, source: SourceUnit) -> ProbeError:
    line = source.traceback_line(error.__traceback__)
    if line is None:  # autograph-converted code: its frames are named in the message
        found = re.findall(rf'File "{re.escape(source.filename)}", line (\d+)', str(error))
        line = int(found[-1]) if found else None
    return ProbeError(type(error).__name__, error_summary(type(error).__name__, str(error)), line)


@contextlib.contextmanager
def _recording_leaving_calls(found: list[LeftTensorFlow], source: SourceUnit):
    """Note every ``tf.numpy_function``/``tf.py_function`` call with the line that makes it."""
    saved = {name: getattr(tf, name) for name in ("numpy_function", "py_function")}

    def recorder(name: str, original: Callable) -> Callable:
        def call(*args, **kwargs):
            out = original(*args, **kwargs)
            ops = [t.op for t in tf.nest.flatten(out) if isinstance(t, tf.Tensor) and hasattr(t, "op")]
            if ops:  # not when used as a decorator
                func = args[0] if args else kwargs.get("func")
                found.append(LeftTensorFlow(name, source.op_line(ops[0].traceback),
                                            getattr(func, "__name__", type(func).__name__)))
            return out

        return call

    for name, original in saved.items():
        setattr(tf, name, recorder(name, original))
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(tf, name, original)


def _quiet() -> contextlib.AbstractContextManager:
    """The probe's own trace must not repeat what the user's code prints while Keras traces it."""
    return contextlib.redirect_stdout(io.StringIO())


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


def ensure_built(model: keras.Model, sample: FitBatch) -> None:
    """Build an unbuilt model the way ``fit`` would, so the probe can trace it."""
    if model.built and all(layer.built for layer in keras_adapter.flatten_layers(model)):
        return
    keras_adapter.symbolic_build(model, (as_tensors(sample.x), as_tensors(sample.y), as_tensors(sample.sample_weight)))


@contextlib.contextmanager
def _recording_numpy_calls(found: list[tuple[Any, int | None]], source: SourceUnit):
    """Note every eager ``tensor.numpy()`` call made from the checked source, with its line."""
    cls = keras_adapter.eager_tensor_class()
    original = cls.numpy

    def numpy(tensor):
        line = source.caller_line(sys._getframe(1))
        if line is not None:
            found.append((tensor, line))
        return original(tensor)

    cls.numpy = numpy
    try:
        yield
    finally:
        cls.numpy = original


def probe_eager_loss(model: keras.Model, sample: FitBatch, source: SourceUnit) -> ProbeResult:
    """``run_eagerly=True``: one step eagerly, as ``fit`` runs it; a ``.numpy()`` on a tensor that
    depends on the weights is where the value leaves TensorFlow (on ``y_true`` it is harmless)."""
    result = ProbeResult(mode="compile")
    x, y, sw = as_tensors(sample.x), as_tensors(sample.y), as_tensors(sample.sample_weight)
    trainable = list(model.trainable_variables)
    calls: list[tuple[Any, int | None]] = []
    snapshot = _snapshot(model)
    try:
        with _recording_numpy_calls(calls, source), _quiet(), tf.GradientTape(persistent=True) as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=True)
        grads = tape.gradient(loss, trainable)
        result.loss = float(loss)
        seen: set[int | None] = set()
        for tensor, line in calls:
            if line in seen or not tensor.dtype.is_floating:
                continue
            if any(g is not None for g in tape.gradient(tensor, trainable)):
                seen.add(line)
                result.cuts.append(GradientCut("EagerNumpy", ".numpy()", line, "", "leaves-tensorflow",
                                               tensor.dtype.name, "numpy"))
        del tape
    except Exception as error:  # noqa: BLE001 - the user's loss failed; keep its own error
        result.error = _error(error, source)
        return result
    finally:
        _restore(snapshot)
    for variable, grad in zip(trainable, grads):
        path = variable_path(variable)
        if grad is None:
            result.gradients.append(VariableGradient(path, "none"))
            continue
        value = np.asarray(tf.convert_to_tensor(grad))
        result.gradients.append(VariableGradient(path, "zero" if not np.any(value) else "ok",
                                                 float(np.linalg.norm(value)), float(np.max(np.abs(value))),
                                                 float(np.mean(np.abs(value)))))
    return result


def probe_compiled_loss(model: keras.Model, sample: FitBatch, source: SourceUnit) -> ProbeResult:
    """Trace forward pass + ``compute_loss``; find cuts; run once for exact zeros."""
    result = ProbeResult(mode="compile")
    x, y, sw = as_tensors(sample.x), as_tensors(sample.y), as_tensors(sample.sample_weight)
    trainable = list(model.trainable_variables)
    none_at_trace: list[bool] = []
    outputs_at_trace: list = []

    def step(x, y, sw):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            outputs_at_trace[:] = tf.nest.flatten(y_pred)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=True)
        grads = tape.gradient(loss, trainable)
        none_at_trace[:] = [g is None for g in grads]
        return loss, [g for g in grads if g is not None]

    try:
        with _recording_leaving_calls(result.left_tensorflow, source), _quiet():
            concrete = tf.function(step).get_concrete_function(_specs(x), _specs(y), _specs(sw))
    except Exception as error:  # noqa: BLE001 - the user's loss/forward pass failed to trace
        result.error = _error(error, source)
        return result

    graph = concrete.graph
    loss_tensor = graph.outputs[0]
    result.outputs_read = [depends_on(loss_tensor, [output, getattr(output, "_keras_logits", None)])
                           for output in outputs_at_trace]
    result.loss_reads_prediction = any(result.outputs_read) if result.outputs_read else None
    if any(none_at_trace):
        inputs = _variable_inputs(graph, [v for v, none in zip(trainable, none_at_trace) if none and _is_float(v)])
        result.cuts, _ = find_cuts(graph, list(inputs.values()), loss_tensor, _line_of(source))
        none_variables = [v for v, none in zip(trainable, none_at_trace) if none]
        result.unreachable = _unreachable(none_variables, inputs, [loss_tensor, *outputs_at_trace])

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
        result.gradients.append(VariableGradient(path, state, norm, float(np.max(np.abs(grad))),
                                                 float(np.mean(np.abs(grad)))))
    zero = [v for v, g in zip(trainable, result.gradients) if g.state == "zero" and _is_float(v)]
    if zero:
        inputs = _variable_inputs(graph, zero)
        result.zeroing = find_zeroing_ops(graph, list(inputs.values()), loss_tensor, _line_of(source))
    return result


@dataclass
class _TapeCall:
    target: Any
    sources: list
    results: list


@contextlib.contextmanager
def _recording_tape_gradients(calls: list[_TapeCall], limit: int | None = None):
    original = tf.GradientTape.gradient

    def gradient(tape, target, sources, *args, **kwargs):
        results = original(tape, target, sources, *args, **kwargs)
        if limit is None or len(calls) < limit:
            calls.append(_TapeCall(target, tf.nest.flatten(sources), tf.nest.flatten(results)))
        return results

    tf.GradientTape.gradient = gradient
    try:
        yield
    finally:
        tf.GradientTape.gradient = original


def probe_train_step(model: keras.Model, sample: FitBatch, source: SourceUnit) -> ProbeResult:
    """Trace the user's ``train_step`` without running it and explain every ``None`` gradient."""
    result = ProbeResult(mode="train_step")
    element = sample.element if sample.element is not None else _packed(sample)
    data = as_tensors(element)
    calls: list[_TapeCall] = []
    with _recording_tape_gradients(calls), _recording_leaving_calls(result.left_tensorflow, source), _quiet():
        try:
            tf.function(model.train_step).get_concrete_function(_specs(data))
        except Exception as error:  # noqa: BLE001 - e.g. "No gradients provided" raised at trace time
            result.error = _error(error, source)
    return explain_tape_calls(model, calls, source, result)


def explain_tape_calls(model: keras.Model, calls: list[_TapeCall], source: SourceUnit,
                       result: ProbeResult | None = None) -> ProbeResult:
    """Every ``None`` gradient of the recorded ``tape.gradient`` calls explained on their traced graph."""
    result = result if result is not None else ProbeResult(mode="train_step")
    result.tape_calls = len(calls)
    by_path: dict[str, VariableGradient] = {}
    for call in calls:
        _explain_tape_call(call, source, result, by_path)
        for found in _broadcasts(call.target, source):
            if found not in result.broadcasts:
                result.broadcasts.append(found)
    for variable in model.trainable_variables:
        path = variable_path(variable)
        if path not in by_path:
            by_path[path] = VariableGradient(path, "none" if calls else "traced")
    result.gradients = list(by_path.values())
    return result


BROADCASTING_OPS = {"Sub", "SquaredDifference", "AddV2", "Add", "Mul", "RealDiv", "Maximum", "Minimum", "AbsDiff"}


def _broadcasts(target: Any, source: SourceUnit) -> list[Broadcast]:
    """Ops written in the checked source, upstream of ``target``, that pair a batch vector ``(N,)``
    with a batch column ``(N, 1)``: the result is ``(N, N)``, every target against every prediction."""
    if not isinstance(target, tf.Tensor) or not hasattr(target, "graph"):
        return []
    found = []
    for op in backward_ops(target, control=False):
        if op.type not in BROADCASTING_OPS or len(op.inputs) != 2:
            continue
        shapes = [t.shape for t in op.inputs]
        if any(shape.rank is None for shape in shapes):
            continue
        flat = next((shape for shape in shapes if shape.rank == 1), None)
        column = next((shape for shape in shapes if shape.rank == 2), None)
        # both batch-sized (the same first dimension, unknown or as Keras traced it): a bias of shape (1,)
        # is not a target vector
        if flat is None or column is None or flat[0] != column[0] or flat[0] == 1 or column[1] != 1:
            continue
        if op.outputs[0].shape.as_list() != [flat[0], flat[0]]:
            continue
        vector = op.inputs[0] if op.inputs[0].shape.rank == 1 else op.inputs[1]
        matrix = op.inputs[1] if vector is op.inputs[0] else op.inputs[0]
        # targets from the data against predictions from the weights; a pairwise loss on the model's own
        # scores (``s[:, None] - s``) reads weights on both sides and is meant
        if _reads_weights(vector) or not _reads_weights(matrix):
            continue
        line = source.op_line(op.traceback)
        if line is not None:
            batch = [[None, *shape.as_list()[1:]] for shape in shapes]  # the batch dimension as N, however traced
            found.append(Broadcast(op.type, line, batch[0], batch[1]))
    return sorted(found, key=lambda item: item.line)


def _reads_weights(tensor: tf.Tensor) -> bool:
    return any(op.type in ("ReadVariableOp", "ResourceGather") for op in backward_ops(tensor, control=False))


def _packed(sample: FitBatch) -> Any:
    """What ``train_step`` receives for arrays (Keras's ``pack_x_y_sample_weight``): bare ``x`` without targets."""
    if sample.y is None and sample.sample_weight is None:
        return (sample.x,) if isinstance(sample.x, (tuple, list)) else sample.x
    return (sample.x, sample.y) if sample.sample_weight is None else (sample.x, sample.y, sample.sample_weight)


def _explain_tape_call(call: _TapeCall, source: SourceUnit, result: ProbeResult, by_path: dict) -> None:
    none_sources = []
    for variable, grad in zip(call.sources, call.results):
        path = variable_path(variable)
        if grad is None:
            none_sources.append(variable)
            by_path.setdefault(path, VariableGradient(path, "none"))
        else:
            by_path[path] = VariableGradient(path, "traced")
    target = call.target
    if not isinstance(target, tf.Tensor) or not hasattr(target, "graph"):  # an eager step: no graph to walk
        return
    graph = target.graph
    if not none_sources:
        _note_partly_outside(call, source, result)
        return
    result.unreachable.extend(p for v in none_sources if (p := variable_path(v)) not in
                              _variable_inputs(graph, [v]) and p not in result.unreachable)
    inputs = _variable_inputs(graph, [v for v in none_sources if _is_float(v)])  # integers: GM008
    if not inputs:
        return
    with graph.as_default():
        symbolic = tf.compat.v1.gradients(target, list(inputs.values()))
    untaped = [path for path, grad in zip(inputs, symbolic) if grad is not None]
    cut_inputs = [tensor for (path, tensor), grad in zip(inputs.items(), symbolic) if grad is None]
    line_of = _line_of(source)
    if untaped:
        _, path_ops = find_cuts(graph, [inputs[p] for p in untaped], target, line_of)
        data_path = backward_ops(target, control=False)
        outside = _outside_tape_ops({op: d for op, d in path_ops.items() if op in data_path}, source)
        if outside:
            depth, op, line = min(outside, key=lambda item: item[0])
            lines = sorted({item[2] for item in outside})
            _add_outside(result, OutsideTape(op.type, line, untaped, lines,
                                             target_line=_step_line(target.op, source)))
    if cut_inputs:
        cuts, _ = find_cuts(graph, cut_inputs, target, line_of)
        result.cuts.extend(cuts)


def _is_float(variable: Any) -> bool:
    """Integer variables never get a gradient by their dtype alone; there is no cut to look for."""
    return tf.as_dtype(getattr(variable, "dtype", "float32")).is_floating


def _unreachable(variables: list, inputs: dict[str, tf.Tensor], targets: list) -> list[str]:
    """Paths of ``variables`` whose captured handle (in ``inputs``) reaches none of ``targets``."""
    upstream: set[tf.Operation] = set()
    stack = [t.op for t in targets if isinstance(t, tf.Tensor) and hasattr(t, "op")]
    while stack:  # data edges only: control edges tie every stateful op to the function's outputs
        op = stack.pop()
        if op not in upstream:
            upstream.add(op)
            stack.extend(tensor.op for tensor in op.inputs)
    found = []
    for variable in variables:
        path = variable_path(variable)
        handle = inputs.get(path)
        if handle is None or not (set(forward_ops([handle.op])) & upstream):
            found.append(path)
    return found


def _outside_tape_ops(path_ops: dict[tf.Operation, int], source: SourceUnit) -> list[tuple[int, tf.Operation, int]]:
    """``(depth, op, line)`` for path ops made by a statement of the taping function outside its tape.

    An op is inside the tape when any frame of the checked source that created it is a line
    of a ``with tf.GradientTape()`` block (a model call on a tape line creates ops in
    ``call``). ``line`` is the statement in the function that opens the tape.
    """
    tape_lines = source_tape_lines(source)
    step_lines = _tape_function_lines(source)
    found = []
    for op, depth in path_ops.items():
        if op.type == "Placeholder":
            continue
        lines = [frame.lineno for frame in op.traceback or () if source.is_ours(frame.filename)]
        if not lines or any(line in tape_lines for line in lines):
            continue
        line = _step_line(op, source, step_lines)
        if line is not None:
            found.append((depth, op, line))
    return found


def _step_line(op: tf.Operation, source: SourceUnit, step_lines: set[int] | None = None) -> int | None:
    """The line, in the function that opens the tape, of the statement that created ``op``."""
    step_lines = _tape_function_lines(source) if step_lines is None else step_lines
    lines = [frame.lineno for frame in op.traceback or () if source.is_ours(frame.filename)]
    return next((line for line in lines if line in step_lines), None)


def _note_partly_outside(call: _TapeCall, source: SourceUnit, result: ProbeResult) -> None:
    """Every source got a gradient, yet part of the path to the target was computed outside the tape."""
    target = call.target
    inputs = _variable_inputs(target.graph, call.sources)
    if not inputs:
        return
    upstream = backward_ops(target, control=False)  # control edges link a step's tapes to each other
    path_ops = {op: depth for op, depth in forward_ops(t.op for t in inputs.values()).items() if op in upstream}
    outside = _outside_tape_ops(path_ops, source)
    if not outside:
        return
    outside_ops = {item[1] for item in outside}
    variables = [path for path, tensor in inputs.items()
                 if outside_ops & set(forward_ops([tensor.op]))]
    depth, op, line = min(outside, key=lambda item: item[0])
    _add_outside(result, OutsideTape(op.type, line, variables, sorted({item[2] for item in outside}),
                                     gradients_missing=False, target_line=_step_line(target.op, source)))


def _add_outside(result: ProbeResult, item: OutsideTape) -> None:
    # tf.function traces a step twice when its first trace creates the optimizer's variables
    if item not in result.outside_tape:
        result.outside_tape.append(item)


def _tape_function_lines(source: SourceUnit) -> set[int]:
    """Lines of every function whose own body opens a ``GradientTape``."""
    lines: set[int] = set()
    if source.tree is None:
        return lines
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            isinstance(inner, (ast.With, ast.AsyncWith)) and _opens_tape(inner) for inner in ast.walk(node)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _opens_tape(node: ast.With | ast.AsyncWith) -> bool:
    return any("GradientTape" in ast.unparse(item.context_expr) for item in node.items)


def source_tape_lines(source: SourceUnit) -> set[int]:
    """Lines inside ``with tf.GradientTape() ...:`` blocks of the checked source."""
    lines: set[int] = set()
    if source.tree is None:
        return lines
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.With, ast.AsyncWith)) and _opens_tape(node):
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


ZERO_SHARE = 0.9  # of the gradient entries exactly 0 (median over the run): worth finding the op that zeroes them
WATCHED_TAPE_CALLS = 8  # a step eager-run (``run_eagerly``) calls the tape every step: the first ones are enough


@dataclass
class StepWatch:
    """What Keras's own traced step did while the user's ``fit`` ran: no second trace needed on a healthy fit."""

    tape_calls: list[_TapeCall] = field(default_factory=list)
    left_tensorflow: list[LeftTensorFlow] = field(default_factory=list)

    def missing_gradients(self) -> bool:
        """A ``tape.gradient`` gave ``None`` for a float source: the step is cut somewhere."""
        return any(result is None and _is_float(variable)
                   for call in self.tape_calls for variable, result in zip(call.sources, call.results))


def traced_layer_order(watch: StepWatch, info: ModelInfo) -> list[str]:
    """The model's layers (sub-models too) in the order the step ``fit`` traced first computed them on its
    way to the losses it took gradients of: ``discriminator(generator(noise))`` gives the generator's
    before the discriminator's, whatever order the model holds them in. Empty when ``fit`` traced no
    step (a train function kept from an earlier call) or ran it eagerly."""
    names = {layer.name for layer in info.layers}
    order: dict[str, None] = {}
    for scope in scopes_in_trace_order(call.target for call in watch.tape_calls):
        for part in scope.split("/"):
            name = part if part in names else re.sub(r"_\d+$", "", part)
            if name in names:
                order.setdefault(name, None)
    return list(order)


def gradients_stay_zero(recording: Any) -> bool:
    """The recording's gradients were (almost) all exactly 0 through the run."""
    if recording is None:
        return False
    values = np.asarray(recording.series("zero_fraction")["mean"], dtype=float)
    values = values[np.isfinite(values)]
    return bool(values.size) and float(np.median(values)) >= ZERO_SHARE


@contextlib.contextmanager
def watching_the_step(watch: StepWatch, source: SourceUnit) -> Iterator[StepWatch]:
    """Record the ``tape.gradient`` and ``tf.numpy_function`` calls of the step ``fit`` traces (results unchanged)."""
    with _recording_tape_gradients(watch.tape_calls, WATCHED_TAPE_CALLS), \
            _recording_leaving_calls(watch.left_tensorflow, source):
        yield watch


def probe_after_fit(model: keras.Model, sample: FitBatch, source: SourceUnit, watch: StepWatch,
                    error: BaseException | None, zero_gradients: bool) -> ProbeResult | None:
    """The probe, only when the run asks for it: a failed fit, a ``None`` gradient, gradients that stay 0.

    A custom ``train_step`` is explained from the calls Keras's own trace made (never traced again);
    the compiled loss is traced again only to name a cut or a zeroing op.
    """
    if keras_adapter.has_custom_train_step(model):
        if watch.tape_calls:
            result = explain_tape_calls(model, watch.tape_calls, source)
            result.left_tensorflow = list(watch.left_tensorflow)
            if error is not None:
                result.error = _error(error, source)
            return result
        return run_probe(model, sample, source) if error is not None else None
    if error is not None or zero_gradients or watch.missing_gradients():
        return run_probe(model, sample, source)
    return None  # healthy, or a train function reused from an earlier fit (nothing traced, nothing new)


def run_probe(model: keras.Model, sample: FitBatch, source: SourceUnit) -> ProbeResult | None:
    """The probe that fits how this model trains, or None when there is no batch to probe with."""
    if sample.kind == "generator" and not isinstance(sample.element, tuple):
        return None  # Keras rejects it before any step (GeneratorDataAdapter needs a tuple)
    if keras_adapter.has_custom_train_step(model):
        if sample.element is None and sample.x is None:
            return None
        return probe_train_step(model, sample, source)
    if not sample.available:
        return None
    try:
        ensure_built(model, sample)
    except Exception as error:  # noqa: BLE001 - the user's forward pass failed; keep its own error
        return ProbeResult(mode="compile", error=_error(error.__cause__ or error.__context__ or error, source))
    result = probe_compiled_loss(model, sample, source)
    if result.error is not None and keras_adapter.runs_eagerly(model):
        # the step cannot be traced (``.numpy()`` on a symbolic tensor), but fit runs it eagerly: so does the probe
        with _global_random_state_kept():
            return probe_eager_loss(model, sample, source)
    return result


@contextlib.contextmanager
def _global_random_state_kept():
    """NumPy's and ``random``'s global generators as they were: the probe consumes no randomness of the run."""
    import random

    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
