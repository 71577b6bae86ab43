"""Walk a traced TF graph from the trainable variables to the loss and find where the gradient stops.

An op *cuts* the gradient when it sits on a data path from a variable to the loss and
TensorFlow cannot differentiate through it: its output is an integer/bool (argmax, casts,
comparisons), its registered gradient is ``None`` (``stop_gradient``, ``Round``), or it
leaves TensorFlow (``numpy_function``/``py_function``). Only the first cut on a path is
reported: ``argmax -> equal -> cast`` is one cut, at ``argmax``.
"""

from __future__ import annotations

from typing import Iterable

import tensorflow as tf
from tensorflow.python.framework import ops as tf_ops

from gradmagic.evidence.facts.probe import GradientCut

LEAVES_TENSORFLOW = {"PyFunc", "PyFuncStateless", "EagerPyFunc", "NumpyFunction"}
# Ops whose registered gradient is identically zero: the gradient is connected but carries nothing.
ZERO_GRADIENT_OPS = {"Sign"}
# Ops whose output describes a tensor's shape, never its values: no gradient flows through
# them by nature, so they (and the integer arithmetic on shapes after them) are never a cut.
SHAPE_OPS = {"Shape", "ShapeN", "Size", "Rank", "TensorListLength", "TensorArraySizeV3",
             "VariableShape", "BroadcastArgs", "BroadcastGradientArgs", "ZerosLike", "OnesLike"}


def forward_ops(starts: Iterable[tf.Operation]) -> dict[tf.Operation, int]:
    """Ops reachable along value-carrying data edges from ``starts``, with their distance from them.

    Shape-describing ops (``SHAPE_OPS``) end a path: the value path of ``top_k(x, k=shape(x)[-1])``
    runs through ``x``, not through ``k``.
    """
    distance: dict[tf.Operation, int] = {}
    frontier = [(op, 0) for op in starts]
    while frontier:
        op, depth = frontier.pop(0)
        if op in distance:
            continue
        distance[op] = depth
        for output in op.outputs:
            for consumer in output.consumers():
                if consumer not in distance and consumer.type not in SHAPE_OPS:
                    frontier.append((consumer, depth + 1))
    return distance


def backward_ops(target: tf.Tensor, control: bool = True) -> set[tf.Operation]:
    """Ops ``target`` depends on; along data edges only when ``control`` is False."""
    seen: set[tf.Operation] = set()
    stack = [target.op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(tensor.op for tensor in op.inputs)
        if control:
            stack.extend(op.control_inputs)
    return seen


def _is_float(dtype: tf.DType) -> bool:
    return dtype.is_floating or dtype.is_complex


def _has_gradient_function(op: tf.Operation) -> bool:
    try:
        return tf_ops.get_gradient_function(op) is not None
    except LookupError:
        return False


def _locally_cut(op: tf.Operation, path_inputs: list[tf.Tensor], path_outputs: list[tf.Tensor]) -> str | None:
    """Why ``op`` passes no gradient from its ``path_outputs`` to its float ``path_inputs``, or None.

    Only the outputs the path goes on through count: ``top_k`` has a gradient for its values,
    none for the indices that ``argsort`` returns.
    """
    float_inputs = [t for t in path_inputs if _is_float(t.dtype)]
    if not float_inputs:
        return None
    if op.type in LEAVES_TENSORFLOW:
        return "leaves-tensorflow"
    if not op.outputs:
        return "no-gradient"  # a state update (a metric's `assign`): nothing flows on from it
    float_outputs = [t for t in path_outputs if _is_float(t.dtype)]
    if not float_outputs:
        return "integer-output"
    if not _has_gradient_function(op):
        return "no-gradient"
    try:
        with op.graph.as_default():
            grads = tf.compat.v1.gradients(float_outputs, float_inputs)
    except Exception:  # noqa: BLE001 - a gradient that needs the step's own context (a replica all-reduce)
        return None  # it has a gradient function: not the cut
    if all(g is None for g in grads):
        return "no-gradient"
    return None


def find_cuts(
    graph: tf.Graph,
    variable_inputs: list[tf.Tensor],
    target: tf.Tensor,
    line_of,
) -> tuple[list[GradientCut], dict[tf.Operation, int]]:
    """Cuts on the paths from ``variable_inputs`` (placeholders/handles) to ``target``.

    ``line_of(op)`` maps an op to the checked source's line. Also returns the path ops with
    their distance from the variables, for callers that look for other things on the path.
    """
    distance = forward_ops(tensor.op for tensor in variable_inputs)
    on_path = backward_ops(target)
    path = {op: d for op, d in distance.items() if op in on_path}
    cut_ops: dict[tf.Operation, str] = {}
    for op in sorted(path, key=path.get):
        path_inputs = [t for t in op.inputs if t.op in path]
        path_outputs = [t for t in op.outputs if t is target or any(c in path for c in t.consumers())]
        reason = _locally_cut(op, path_inputs, path_outputs or list(op.outputs))
        if reason:
            cut_ops[op] = reason
    roots = [op for op in cut_ops if not _has_cut_ancestor(op, cut_ops, path)]
    cuts = []
    for op in sorted(roots, key=path.get):
        path_inputs = [t for t in op.inputs if t.op in path and _is_float(t.dtype)]
        cuts.append(
            GradientCut(
                op_type=op.type,
                op_name=op.name,
                line=line_of(op),
                layer_scope=op.name.rsplit("/", 1)[0] if "/" in op.name else "",
                reason=cut_ops[op],
                input_dtype=path_inputs[0].dtype.name if path_inputs else "",
                output_dtype=_path_output_dtype(op, path, target),
            )
        )
    return cuts, path


def _has_cut_ancestor(op: tf.Operation, cut_ops: dict, path: dict) -> bool:
    seen: set[tf.Operation] = set()
    stack = [t.op for t in op.inputs if t.op in path]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in cut_ops:
            return True
        stack.extend(t.op for t in current.inputs if t.op in path)
    return False


def _path_output_dtype(op: tf.Operation, path: dict, target: tf.Tensor) -> str:
    outputs = [t for t in op.outputs if t is target or any(c in path for c in t.consumers())] or list(op.outputs)
    return outputs[0].dtype.name if outputs else ""


def find_zeroing_ops(graph: tf.Graph, variable_inputs: list[tf.Tensor], target: tf.Tensor,
                     line_of) -> list[GradientCut]:
    """Ops on the value path from ``variable_inputs`` to ``target`` whose gradient is always zero."""
    distance = forward_ops(tensor.op for tensor in variable_inputs)
    on_path = backward_ops(target, control=False)
    found = []
    for op in sorted((op for op in distance if op in on_path and op.type in ZERO_GRADIENT_OPS), key=distance.get):
        found.append(GradientCut(op_type=op.type, op_name=op.name, line=line_of(op),
                                 layer_scope=op.name.rsplit("/", 1)[0] if "/" in op.name else "",
                                 reason="zero-gradient", input_dtype=op.inputs[0].dtype.name if op.inputs else "",
                                 output_dtype=op.outputs[0].dtype.name if op.outputs else ""))
    return found


LOGITS_BEHIND = {"Softmax", "Sigmoid", "LogSoftmax"}


def depends_on(target: tf.Tensor, sources: Iterable) -> bool:
    """Whether ``target``'s value is computed from any of ``sources`` along value-carrying data edges.

    Shape-describing ops end a path (``forward_ops``): a loss that reads ``y_pred`` only through
    ``tf.shape`` or ``tf.zeros_like`` does not depend on it. Keras's cross-entropies read the logits
    behind a softmax/sigmoid output op instead of its output, so those logits count as sources too.
    """
    starts = [t.op for t in sources if isinstance(t, tf.Tensor) and hasattr(t, "op")]
    starts += [t.op for op in list(starts) if op.type in LOGITS_BEHIND for t in op.inputs[:1]]
    if not starts or not hasattr(target, "op"):
        return False
    return target.op in forward_ops(starts)


def scopes_in_trace_order(targets: Iterable[tf.Tensor]) -> list[str]:
    """The name scopes of the ops ``targets`` depend on (data edges), each once, in the order the trace
    created them: the order in which a traced step called its layers on its way to those targets.
    Eager tensors (a step run eagerly) have no graph and are skipped."""
    by_graph: dict[tf.Graph, set[tf.Operation]] = {}
    for target in targets:
        graph = getattr(getattr(target, "op", None), "graph", None)
        if graph is not None:
            by_graph.setdefault(graph, set()).update(backward_ops(target, control=False))
    scopes: dict[str, None] = {}
    for graph, needed in by_graph.items():
        for op in graph.get_operations():  # in creation order
            if op in needed and "/" in op.name:
                scopes.setdefault(op.name.rsplit("/", 1)[0], None)
    return list(scopes)
