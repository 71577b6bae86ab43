"""The in-graph half of the recorder: per-step statistics computed inside the traced step.

While a captured ``fit`` runs, the model's optimizer ``apply`` is wrapped (see
``keras_adapter.wrap_instance_method``). Keras calls it inside the traced train step with
the gradients it has already computed, so the statistics cost a few reductions per
variable and no second forward/backward pass. One row per step goes into a ring buffer
(a ``tf.Variable`` outside the model); the host copies the buffer only now and then.

Row layout: ``HEAD`` then, per trainable variable (a *slot*), ``SLOT_COLUMNS``. A value of
-1 marks "not measured" (no gradient, a sparse gradient's zeros, a bias's largest entry,
zeros and update, or a variable that was not in that ``apply`` call). NaN/Inf in a gradient or a weight make its
sum of squares NaN/Inf, which is how the host finds them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from gradmagic.capture import keras_adapter
from gradmagic.report.errors import describe_error

HEAD = ("loss", "loss_scale", "loss_known")
SLOT_COLUMNS = ("grad_sq", "grad_max", "grad_zeros", "reserved", "weight_sq", "update_sq")
ABSENT = -1.0

_stash = threading.local()


@dataclass
class Slot:
    """One trainable variable as the recorder sees it."""

    path: str
    layer: str | None
    size: int
    kernel: bool
    sparse: bool = False


def column(slot: int, name: str) -> int:
    return len(HEAD) + slot * len(SLOT_COLUMNS) + SLOT_COLUMNS.index(name)


def width(slots: int) -> int:
    return len(HEAD) + slots * len(SLOT_COLUMNS)


class GraphRecorder:
    """Owns the recorder's variables and the wrapped ``apply``; reads rows back on the host."""

    def __init__(self, model: Any, optimizer: Any, slots: list[Slot], capacity: int) -> None:
        self.model = model
        self.optimizer = optimizer
        self.slots = slots
        self.capacity = capacity
        self._index = {id(v): i for i, v in enumerate(model.trainable_variables)}
        self.variable_ids = [id(v) for v in model.trainable_variables]
        self.offset = 0  # steps written by earlier fits that reused this recorder's train function
        self._by_path = {s.path: i for i, s in enumerate(slots)}
        self.loss_scaled = keras_adapter.is_loss_scale_optimizer(optimizer)
        self.read_count = 0
        self.dropped = 0
        self.traces = 0
        self.trace_errors: list[str] = []
        self._restore: list[Callable[[], None]] = []
        with tf.init_scope():
            self.buffer = tf.Variable(tf.zeros((capacity, width(len(slots))), tf.float32), trainable=False,
                                      name="gradmagic_steps")
            self.counter = tf.Variable(tf.constant(0, tf.int64), trainable=False, name="gradmagic_step")

    # -- install / remove -----------------------------------------------------------------
    def install(self) -> None:
        self._restore.append(keras_adapter.wrap_instance_method(self.optimizer, "apply", self._wrap_apply))
        self._restore.append(keras_adapter.wrap_tape_gradient(_remember_target))

    def uninstall(self) -> None:
        while self._restore:
            self._restore.pop()()

    # -- inside the traced step -------------------------------------------------------------
    def _wrap_apply(self, original: Callable) -> Callable:
        recorder = self

        def apply(grads, trainable_variables=None, *args, **kwargs):
            try:
                plan = recorder._before(grads, trainable_variables)
            except Exception as error:  # noqa: BLE001 - the user's step must still run
                recorder.trace_errors.append(describe_error(error))
                plan = None
            result = original(grads, trainable_variables, *args, **kwargs)
            if plan is not None:
                try:
                    recorder._after(plan)
                except Exception as error:  # noqa: BLE001
                    recorder.trace_errors.append(describe_error(error))
            return result

        return apply

    def _before(self, grads, trainable_variables) -> dict[str, Any] | None:
        variables = list(trainable_variables) if trainable_variables is not None else list(
            getattr(self.optimizer, "_trainable_variables", []))
        grads = list(grads)
        slots = [self._slot_of(v) for v in variables]
        if not any(s is not None for s in slots):
            return None
        scale = tf.cast(tf.convert_to_tensor(self.optimizer.dynamic_scale), tf.float32) if self.loss_scaled \
            else tf.constant(1.0, tf.float32)
        loss, loss_known = _take_target(grads)
        olds = [tf.convert_to_tensor(_tensor_of(v)) if s is not None and self.slots[s].kernel else None
                for v, s in zip(variables, slots)]
        return {"variables": variables, "grads": grads, "slots": slots, "scale": scale, "loss": loss,
                "loss_known": loss_known, "olds": olds}

    def _after(self, plan: dict[str, Any]) -> None:
        self.traces += 1
        context = tf.distribute.get_replica_context()
        distributed = context is not None and tf.distribute.get_strategy().num_replicas_in_sync > 1
        layout, gradients, olds, news = [], [], [], []
        for g, v, slot, old in zip(plan["grads"], plan["variables"], plan["slots"], plan["olds"]):
            if slot is None:
                continue
            kernel = self.slots[slot].kernel
            if kernel:
                olds.append(old)
                news.append(tf.convert_to_tensor(_tensor_of(v)))
            if g is None:
                layout.append((slot, "none", kernel))
                continue
            sparse = isinstance(g, tf.IndexedSlices) and not distributed
            if sparse:
                self.slots[slot].sparse = True
            layout.append((slot, "sparse" if sparse else "dense", kernel))
            gradients.append(g.values if sparse else tf.convert_to_tensor(g))
        spec = (len(self.slots), tuple(layout), self.loss_scaled, bool(plan["loss_known"]))
        if not distributed:
            self._write(_step_row(gradients, olds, news, plan["scale"], plan["loss"], spec))
            return

        def merged(strategy, gradients, loss, scale, olds, news):
            # The optimizer applies the sum of the replicas' gradients (each replica's loss is
            # scaled by 1/replicas): add them up here, with no collective op of our own.
            local = strategy.experimental_local_results
            total = [tf.add_n(list(local(g))) for g in gradients]
            first = [local(t)[0] for t in olds], [local(t)[0] for t in news]
            self._write(_step_row(total, first[0], first[1], local(scale)[0], tf.add_n(list(local(loss))), spec))

        context.merge_call(merged, args=(gradients, plan["loss"], plan["scale"], olds, news))

    def _write(self, row: tf.Tensor) -> None:
        step = self.counter.assign_add(1)
        index = tf.math.floormod(step - 1, self.capacity)
        self.buffer.scatter_update(tf.IndexedSlices(row[tf.newaxis, :], tf.reshape(index, [1])))

    def _slot_of(self, variable: Any) -> int | None:
        found = self._index.get(id(variable))
        if found is None:
            found = self._by_path.get(str(getattr(variable, "path", "")))
        return found

    # -- on the host ----------------------------------------------------------------------
    def start_fit(self) -> None:
        """A new ``fit`` reuses this recorder: its steps count from 1 again, earlier rows are not its own."""
        self.read_count = self.offset = int(self.counter.numpy())
        self.dropped = 0
        self.trace_errors.clear()

    def read(self) -> tuple[int, np.ndarray] | None:
        """Rows written since the last read: ``(first step, rows)``; None when there are none."""
        count = int(self.counter.numpy())
        new = count - self.read_count
        if new <= 0:
            return None
        start = max(self.read_count, count - self.capacity)
        self.dropped += start - self.read_count
        data = self.buffer.numpy()
        rows = data[np.arange(start, count) % self.capacity]
        self.read_count = count
        return start + 1 - self.offset, rows


@tf.function(autograph=False, reduce_retracing=True)
def _step_row(gradients: list, olds: list, news: list, scale: tf.Tensor, loss: tf.Tensor,
              spec: tuple) -> tf.Tensor:
    """One step's row.

    Kept to a few reductions per variable: NaN/Inf show up in the sums of squares (the host
    tells them apart), and the update/weight ratio is measured on kernels only. A nested
    ``tf.function``: traced once per model layout and reused by Keras's retrace and by later
    fits; Grappler inlines it into the train step.
    """
    slots, layout, loss_scaled, loss_known = spec
    grads = iter(gradients)
    cells: list[Any] = [ABSENT] * width(slots)
    loss32 = _float32(loss) / scale if loss_scaled else _float32(loss)
    cells[0], cells[1], cells[2] = loss32, _float32(scale), 1.0 if loss_known else 0.0
    weights = iter(zip(olds, news))
    for slot, kind, kernel in layout:
        base = len(HEAD) + slot * len(SLOT_COLUMNS)
        if kernel:
            old, new = next(weights)
            new = _float32(new)
            weight_sq = tf.reduce_sum(tf.square(new))
            cells[base + 4] = weight_sq
            cells[base + 5] = tf.reduce_sum(tf.square(new - _float32(old)))
        if kind == "none":
            continue
        values = _float32(next(grads))
        if loss_scaled:
            values = values / scale
        grad_sq = tf.reduce_sum(tf.square(values))
        cells[base] = grad_sq
        if not kernel:
            continue  # a bias: its sum of squares is enough (norm and NaN/Inf)
        cells[base + 1] = tf.reduce_max(tf.abs(values)) if values.shape.num_elements() != 0 else 0.0
        if kind == "dense":
            cells[base + 2] = tf.reduce_sum(tf.cast(tf.equal(values, 0.0), tf.float32))
    row = tf.stack([cell if isinstance(cell, tf.Tensor) else tf.constant(cell, tf.float32) for cell in cells])
    return row


def _float32(value: Any) -> tf.Tensor:
    value = tf.convert_to_tensor(value)
    return value if value.dtype == tf.float32 else tf.cast(value, tf.float32)


def _tensor_of(variable: Any) -> Any:
    return getattr(variable, "value", variable)


def _remember_target(target: Any) -> None:
    """Called with every ``GradientTape.gradient`` target while recording: the step's loss."""
    if isinstance(target, (tf.Tensor, tf.Variable)) and target.dtype.is_floating:
        _stash.target = target


def _take_target(grads: list) -> tuple[tf.Tensor, bool]:
    target = getattr(_stash, "target", None)
    _stash.target = None
    reference = next((g for g in grads if g is not None), None)
    if target is not None and getattr(target, "graph", None) is getattr(reference, "graph", None):
        value = tf.cast(target, tf.float32)
        if value.shape.rank:
            value = tf.reduce_sum(value)
        return value, True
    return tf.constant(0.0, tf.float32), False
