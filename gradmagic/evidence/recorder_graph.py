"""The in-graph half of the recorder: per-step statistics computed inside the traced step.

While a captured ``fit`` runs, two things are wrapped (see ``keras_adapter``):

- the model's ``train_step`` (on the instance). Each call opens a *step*; when it returns,
  the step's statistics are computed in one fused computation, written as ONE row into a ring
  buffer (a ``tf.Variable`` outside the model), and the step counter advances by one: one row
  per train step, whatever the step does.
- ``apply`` of every Keras optimizer class. Every optimizer that applies gradients inside an
  open step (``model.optimizer``; a GAN's ``d_optimizer`` and ``g_optimizer``; an optimizer
  created in ``train_step`` or held by a sub-model; a ``LossScaleOptimizer``, recorded once,
  not again through its inner optimizer) hands the step its gradients, the weights before and
  after its update, and the loss it descended. Nothing is computed per apply.

Keras calls both while it traces its train function, so the statistics are ops of that
function, made from the gradients Keras computed anyway: no second forward/backward pass, no
host round trip and no Python per step (except under ``run_eagerly``). The host copies the
buffer only now and then (``read``).

Row layout: ``HEAD`` then, per trainable variable of the model (a *slot*; a GAN's slots are
the generator's and the discriminator's variables), ``SLOT_COLUMNS``. A value of -1 marks
"not measured": no gradient, a sparse gradient's zeros, a bias's largest entry, a kernel's
``zero_units``, or a variable that no optimizer updated in that step. NaN/Inf in a gradient or
a weight make its sum of squares NaN/Inf, which is how the host finds them.

The loss column is the sum of the distinct losses the step's optimizers descended (the
``GradientTape`` targets of their gradients, unscaled): the loss itself for ordinary training,
also when several optimizers share one loss (two towers), and ``d_loss + g_loss`` for a GAN,
where any NaN/Inf in either shows. ``loss_parts`` says how many distinct losses a step had;
a sum of adversarial losses is not expected to go down, and the rules that read the trend
know it from there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from gradmagic.core import keras_adapter
from gradmagic.core.errors import describe_error
from gradmagic.evidence.facts.recording import Slot

HEAD = ("loss", "loss_scale", "loss_known")
# zero_units: entries of a rank-1 variable (a bias: one per unit) whose gradient was exactly 0
SLOT_COLUMNS = ("grad_sq", "grad_max", "grad_zeros", "zero_units", "weight_sq", "update_sq")
ABSENT = -1.0
BATCHED_CELLS = 1 << 16  # rank-1 gradients are reduced together, in blocks of at most this many (entries x vectors)

_stash = threading.local()


def slots_for(model: Any) -> list[Slot]:
    """One slot per trainable variable of ``model``, in its order (forward order, also inside
    sub-models), each owned by the innermost layer that holds it."""
    owners: dict[int, str] = {}
    for layer in keras_adapter.flatten_layers(model):  # parents before children: the innermost wins
        for variable in layer.weights:
            owners[id(variable)] = layer.name
    slots = []
    for variable in model.trainable_variables:
        shape = tuple(int(d) for d in variable.shape)
        size = int(np.prod(shape)) if shape else 1
        slots.append(Slot(path=str(getattr(variable, "path", variable.name)), layer=owners.get(id(variable)),
                          size=size, kernel=len(shape) >= 2, units=size if len(shape) == 1 else 0))
    return slots


def column(slot: int, name: str) -> int:
    return len(HEAD) + slot * len(SLOT_COLUMNS) + SLOT_COLUMNS.index(name)


def width(slots: int) -> int:
    return len(HEAD) + slots * len(SLOT_COLUMNS)


def empty_row(slots: int) -> np.ndarray:
    """A step in which nothing was measured: loss unknown, loss scale 1, every slot absent."""
    row = np.full(width(slots), ABSENT, np.float32)
    row[:len(HEAD)] = (0.0, 1.0, 0.0)
    return row


@dataclass
class _Entry:
    """One variable updated by one ``apply`` of the step."""

    slot: int
    kind: str  # "dense", "sparse" (its values are measured) or "none" (no gradient)
    grad: Any
    old: Any
    new: Any
    scale: int  # index of the loss scale its gradient carries in the step's scales, -1 for none


@dataclass
class _Step:
    """What the ``apply`` calls of one traced ``train_step`` handed in."""

    graph: Any
    entries: list[_Entry] = field(default_factory=list)
    scales: list[Any] = field(default_factory=list)
    losses: list[tuple[Any, int]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    loss_scale: int = -1  # the scale of a LossScaleOptimizer, reported in the ``loss_scale`` column
    staged: bool = False  # an apply inside a branch of the step wrote to the staging row


class GraphRecorder:
    """Owns the recorder's variables and wrappers; reads rows back on the host.

    ``optimizer`` is ``model.optimizer`` (None when a custom ``train_step`` brings its own):
    a later ``fit`` reuses this recorder's train function only with the same one.
    """

    def __init__(self, model: Any, optimizer: Any, capacity: int) -> None:
        self.model = model
        self.optimizer = optimizer
        self.capacity = capacity
        self.slots: list[Slot] = []
        self.variable_ids: list[int] = []
        self._index: dict[int, int] = {}
        self._by_path: dict[str, int] = {}
        self._empty = empty_row(0)
        self.buffer: tf.Variable | None = None
        self.counter: tf.Variable | None = None
        self.offset = 0  # steps written by earlier fits that reused this recorder's train function
        self.read_count = 0
        self.dropped = 0
        self.traces = 0  # apply calls recorded while tracing
        self.trace_errors: list[str] = []
        self.notes: list[str] = []
        self.loss_parts = 0  # the most distinct losses one step descended
        # every optimizer that applied gradients in a traced step, in order, with the slots it updated
        self.appliers: dict[int, tuple[Any, set[int]]] = {}
        self._installed = False
        self._local = threading.local()  # per thread: the open steps, the optimizers applying now
        self._covered: dict[int, int] = {}  # inner optimizers of wrappers applying now (any thread)
        self._lock = threading.Lock()
        self._restore: list[Callable[[], None]] = []
        self.staging: tf.Variable | None = None
        self.start()

    @property
    def started(self) -> bool:
        return self.counter is not None

    def start(self) -> None:
        """Make the slots of the model's trainable variables and the buffer their rows go to.

        Runs when the recorder is made, or, for a model whose weights do not exist yet (a custom
        ``train_step`` builds them when Keras first traces it), at that trace's first ``apply``
        (or the step's end): the weights exist there, and no extra trace is needed to make them.
        """
        if self.started:
            return
        with self._lock:
            if self.started or not self.model.trainable_variables:
                return
            variables = list(self.model.trainable_variables)
            slots = slots_for(self.model)
            empty = empty_row(len(slots))
            # made eagerly and outside any strategy: they outlive the trace and stay one variable each
            buffer = keras_adapter.plain_variable(np.tile(empty, (self.capacity, 1)), "gradmagic_steps")
            counter = keras_adapter.plain_variable(np.int64(0), "gradmagic_step")
            self.slots, self._empty, self.buffer = slots, empty, buffer
            self._index = {id(v): i for i, v in enumerate(variables)}
            self.variable_ids = [id(v) for v in variables]
            self._by_path = {s.path: i for i, s in enumerate(slots)}
            self.counter = counter  # last: ``started`` from here on

    # -- install / remove -----------------------------------------------------------------
    def install(self) -> None:
        self._restore.append(keras_adapter.wrap_instance_method(self.model, "train_step", self._wrap_train_step))
        self._restore.append(keras_adapter.wrap_optimizer_apply(self._wrap_apply))
        self._restore.append(keras_adapter.wrap_tape_gradient(_remember_target))
        self._installed = True

    def uninstall(self) -> None:
        self._installed = False
        while self._restore:
            self._restore.pop()()

    # -- inside the traced step: train_step ------------------------------------------------------
    def _wrap_train_step(self, original: Callable) -> Callable:
        recorder = self

        def train_step(*args, **kwargs):
            if not recorder._installed:  # a retrace after the check ended: the step as Keras has it
                return original(*args, **kwargs)
            step = _Step(graph=_current_graph())
            stack = recorder._open_steps()
            stack.append(step)
            _stash.target = None
            try:
                result = original(*args, **kwargs)
            finally:
                stack.remove(step)
            try:
                recorder._close(step)
            except Exception as error:  # noqa: BLE001 - the user's step must still run
                recorder.trace_errors.append(describe_error(error))
            return result

        return train_step

    def _open_steps(self) -> list[_Step]:
        if not hasattr(self._local, "steps"):
            self._local.steps = []
        return self._local.steps

    def _close(self, step: _Step) -> None:
        self.start()
        if not self.started:  # the step has no trainable weight: no row
            return
        self.loss_parts = max(self.loss_parts, len(step.losses))
        inputs, spec = _plan(step.entries, step.scales, step.losses, step.loss_scale, self.slots, partial=False)
        if not _distributed():
            self._write(_step_row(*inputs, spec), step.staged)
            return

        def merged(strategy, grads, olds, news, scales, losses):
            # The optimizer applies the sum of the replicas' gradients (each replica's loss is
            # scaled by 1/replicas): add them up here, with no collective op of our own.
            local = strategy.experimental_local_results
            total = [tf.add_n(list(local(g))) for g in grads]
            first = [[local(t)[0] for t in group] for group in (olds, news, scales)]
            losses = [tf.add_n(list(local(value))) for value in losses]
            self._write(_step_row(total, *first, losses, spec), False)

        tf.distribute.get_replica_context().merge_call(merged, args=inputs)

    def _write(self, row: tf.Tensor, staged: bool) -> None:
        if staged:  # applies inside a branch of the step (tf.cond, a loop) left their columns here
            waiting = self.staging.read_value()
            row = tf.where(tf.not_equal(waiting, ABSENT), waiting, row)
            self.staging.assign(tf.fill(tf.shape(row), ABSENT))
        step = self.counter.assign_add(1)
        index = tf.math.floormod(step - 1, self.capacity)
        tf.raw_ops.ResourceScatterUpdate(resource=self.buffer.handle, indices=index, updates=row)

    # -- inside the traced step: every optimizer's apply -------------------------------------------
    def _wrap_apply(self, original: Callable) -> Callable:
        recorder = self

        def apply(optimizer, grads, trainable_variables=None, *args, **kwargs):
            step = recorder._claim(optimizer)
            if step is None:
                return original(optimizer, grads, trainable_variables, *args, **kwargs)
            if not isinstance(grads, (list, tuple)):
                grads = list(grads)
            if trainable_variables is not None and not isinstance(trainable_variables, (list, tuple)):
                trainable_variables = list(trainable_variables)
            try:
                plan = recorder._before(optimizer, grads, trainable_variables)
            except Exception as error:  # noqa: BLE001 - the user's step must still run
                recorder.trace_errors.append(describe_error(error))
                plan = None
            try:
                result = original(optimizer, grads, trainable_variables, *args, **kwargs)
            finally:
                recorder._release(optimizer)
            if plan is not None:
                try:
                    recorder._after(step, plan)
                except Exception as error:  # noqa: BLE001
                    recorder.trace_errors.append(describe_error(error))
            return result

        return apply

    def _claim(self, optimizer: Any) -> _Step | None:
        """The open step this ``apply`` belongs to; None when it is not recorded: outside a step,
        or nested in an apply that is (``super().apply``, a ``LossScaleOptimizer``'s inner one)."""
        steps = getattr(self._local, "steps", None)
        if not self._installed or not steps:
            return None
        if not hasattr(self._local, "applying"):
            self._local.applying = set()
        key = id(optimizer)
        if key in self._local.applying:
            return None
        inner = getattr(optimizer, "inner_optimizer", None)
        with self._lock:
            if self._covered.get(key):  # may run in a replica thread of its wrapper's merge_call
                return None
            if inner is not None:
                self._covered[id(inner)] = self._covered.get(id(inner), 0) + 1
        self._local.applying.add(key)
        return steps[-1]

    def _release(self, optimizer: Any) -> None:
        self._local.applying.discard(id(optimizer))
        inner = getattr(optimizer, "inner_optimizer", None)
        if inner is not None:
            with self._lock:
                self._covered[id(inner)] -= 1

    def _before(self, optimizer: Any, grads: list, variables: list | None) -> tuple | None:
        self.start()
        variables = list(variables) if variables is not None else keras_adapter.optimizer_variables(optimizer)
        slots = [self._slot_of(v) for v in variables]
        if all(s is None for s in slots):
            return None
        scale = None
        if keras_adapter.is_loss_scale_optimizer(optimizer):
            if not optimizer.built:  # the scale must be read before this apply changes it
                keras_adapter.build_as_apply_would(optimizer, variables)
            scale = _float32(optimizer.dynamic_scale)
        elif getattr(optimizer, "loss_scale_factor", None):
            scale = tf.constant(float(optimizer.loss_scale_factor), tf.float32)
        target = _take_target(grads)
        olds = [tf.convert_to_tensor(_tensor_of(v)) if s is not None and self.slots[s].kernel else None
                for v, s in zip(variables, slots)]
        return optimizer, variables, list(grads), slots, scale, target, olds

    def _after(self, step: _Step, plan: tuple) -> None:
        optimizer, variables, grads, slots, scale, target, olds = plan
        self.traces += 1
        nested = _current_graph() is not step.graph
        distributed = _distributed()
        if nested and distributed:
            _add(self.notes, "an optimizer applied inside a branch of a distributed train step was not recorded")
            return
        scales = [] if nested else step.scales
        index = -1
        if scale is not None:
            scales.append(scale)
            index = len(scales) - 1
        entries = []
        for grad, variable, slot, old in zip(grads, variables, slots, olds):
            if slot is None:
                continue
            new = tf.convert_to_tensor(_tensor_of(variable)) if self.slots[slot].kernel else None
            if grad is None:
                entries.append(_Entry(slot, "none", None, old, new, index))
            elif isinstance(grad, tf.IndexedSlices) and not distributed:
                self.slots[slot].sparse = True
                entries.append(_Entry(slot, "sparse", grad.values, old, new, index))
            else:
                entries.append(_Entry(slot, "dense", tf.convert_to_tensor(grad), old, new, index))
        self._note_optimizer(optimizer, [entry.slot for entry in entries])
        if nested:
            self._stage(step, entries, scales)
            return
        step.entries.extend(entries)
        if keras_adapter.is_loss_scale_optimizer(optimizer):
            step.loss_scale = index
        if target is not None and id(target) not in step.seen:
            step.seen.add(id(target))
            step.losses.append((target, index))

    def _stage(self, step: _Step, entries: list[_Entry], scales: list) -> None:
        """An apply inside a ``tf.cond``/loop of the step: its columns wait in the staging row
        (its loss is not counted); the step's row takes them when that branch ran."""
        if self.staging is None:
            self.staging = keras_adapter.plain_variable(np.full(len(self._empty), ABSENT, np.float32),
                                                        "gradmagic_staged")
        inputs, spec = _plan(entries, scales, [], -1, self.slots, partial=True)
        row = _step_row(*inputs, spec)
        self.staging.assign(tf.where(tf.not_equal(row, ABSENT), row, self.staging.read_value()))
        step.staged = True

    def _note_optimizer(self, optimizer: Any, slots: list[int]) -> None:
        known = self.appliers.get(id(optimizer))
        if known is None:
            self.appliers[id(optimizer)] = (optimizer, set(slots))
        else:
            known[1].update(slots)

    def _slot_of(self, variable: Any) -> int | None:
        found = self._index.get(id(variable))
        if found is None:
            found = self._by_path.get(str(getattr(variable, "path", "")))
        return found

    # -- on the host ----------------------------------------------------------------------
    def start_fit(self) -> None:
        """A new ``fit`` reuses this recorder: its steps count from 1 again, earlier rows are not its own."""
        self.read_count = self.offset = int(self.counter.numpy()) if self.started else 0
        self.dropped = 0
        self.trace_errors.clear()

    def read(self) -> tuple[int, np.ndarray] | None:
        """Rows written since the last read: ``(first step, rows)``; None when there are none."""
        if not self.started:
            return None
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


# -- the fused computation ----------------------------------------------------------------------
def _plan(entries: list[_Entry], scales: list, losses: list[tuple[Any, int]], loss_scale: int, slots: list[Slot],
          partial: bool) -> tuple[tuple, tuple]:
    """The tensors ``_step_row`` reads and its static layout (hashable: part of its trace key)."""
    grads, olds, news, layout = [], [], [], []
    for entry in entries:
        slot = slots[entry.slot]
        weight = -1
        if slot.kernel:
            olds.append(entry.old)
            news.append(entry.new)
            weight = len(news) - 1
        grad = -1
        if entry.kind != "none":
            grads.append(entry.grad)
            grad = len(grads) - 1
        batched = entry.kind == "dense" and not slot.kernel and entry.grad.shape.rank == 1 and slot.size > 0
        layout.append((entry.slot, entry.kind, slot.kernel, batched, slot.size, grad, weight, entry.scale))
    spec = (len(slots), tuple(layout), tuple(index for _, index in losses), loss_scale, partial)
    return (grads, olds, news, list(scales), [value for value, _ in losses]), spec


@tf.function(autograph=False, reduce_retracing=True)
def _step_row(grads: list, olds: list, news: list, scales: list, losses: list, spec: tuple) -> tf.Tensor:
    """One step's row, from every ``apply`` of the step.

    Per kernel, the reductions that need its elements (sum of squares as one ``L2Loss``, the
    largest magnitude, the count of non-zero entries, the weight's and the update's sums of
    squares); all rank-1 gradients (biases, normalisation scales) in one concatenation whose
    sums of squares and non-zero counts come out of a single matmul per block; then one gather
    puts every value in its column, and one multiply-add turns half-squares into squares and
    non-zero counts into zero counts. No per-cell constants, no Python per step: traced once per
    layout (and reused by Keras's retraces and later fits), inlined into the train step.

    Measured on CPU (2 cores), a segment reduction over one concatenation of all gradients costs
    far more than these per-variable kernels (``SegmentSum`` ~25 us on 7,000 values, ~2.6 ms on
    10^6, against ~1 us per small op), so only the small rank-1 vectors are concatenated.
    """
    slot_count, layout, loss_scales, loss_scale, partial = spec
    inverse = [1.0 / _float32(scale) for scale in scales]
    cells: list[tf.Tensor] = []
    placed: dict[int, tuple[int, float, float]] = {}  # column -> (value index, multiply, add)
    constants: dict[int, float] = {}

    def put(value: tf.Tensor, col: int, multiply: float = 1.0, add: float = 0.0) -> None:
        placed[col] = (len(cells), multiply, add)
        cells.append(value)

    vectors: list[tuple[tf.Tensor, int, int]] = []  # rank-1 gradients: (values, first column, size)
    for slot, kind, kernel, batched, size, grad, weight, scale in layout:
        base = len(HEAD) + slot * len(SLOT_COLUMNS)
        if weight >= 0:
            new = _float32(news[weight])
            put(tf.nn.l2_loss(new), base + 4, 2.0)
            put(tf.nn.l2_loss(new - _float32(olds[weight])), base + 5, 2.0)
        if kind == "none":
            continue
        values = _float32(grads[grad])
        if batched:
            vectors.append((values * inverse[scale] if scale >= 0 else values, base, size))
            continue
        squares = tf.nn.l2_loss(values)
        put(squares * tf.square(inverse[scale]) if scale >= 0 else squares, base, 2.0)
        if not kernel:
            continue  # a scalar: its sum of squares is enough (norm and NaN/Inf)
        if values.shape.num_elements() == 0:
            constants[base + 1] = 0.0
            continue
        magnitude = tf.abs(values)
        peak = tf.reduce_max(magnitude)
        put(peak * inverse[scale] if scale >= 0 else peak, base + 1)
        if kind == "dense":  # zeros = size - non-zeros (NaN counts as non-zero: sign(NaN) is NaN, see host)
            put(tf.reduce_sum(tf.sign(magnitude)), base + 2, -1.0, float(size))
    if not partial:
        if losses:
            parts = []
            for value, scale in zip(losses, loss_scales):
                value = _float32(value)
                if value.shape.rank != 0:
                    value = tf.reduce_sum(value)
                parts.append(value * inverse[scale] if scale >= 0 else value)
            put(tf.add_n(parts) if len(parts) > 1 else parts[0], 0)
        else:
            constants[0] = 0.0
        if loss_scale >= 0:
            put(_float32(scales[loss_scale]), 1)
        else:
            constants[1] = 1.0
        constants[2] = 1.0 if losses else 0.0
    blocks, block_places = [], []  # placed after the cells: (block, vector, first column, size)
    for block in _blocks(vectors):
        joined = tf.concat([values for values, _, _ in block], 0) if len(block) > 1 else block[0][0]
        membership = np.zeros((sum(size for _, _, size in block), len(block)), np.float32)
        start = 0
        for j, (_, base, size) in enumerate(block):
            membership[start:start + size, j] = 1.0
            start += size
            block_places.append((len(blocks), j, len(block), base, size))
        # row 0: each vector's sum of squares, row 1: its count of non-zero entries
        blocks.append(tf.reshape(tf.matmul(tf.stack([tf.square(joined), tf.sign(tf.abs(joined))]), membership), [-1]))
    starts = np.cumsum([len(cells)] + [int(b.shape[0]) for b in blocks]).tolist()
    for number, j, count, base, size in block_places:
        placed[base] = (starts[number] + j, 1.0, 0.0)
        placed[base + 3] = (starts[number] + count + j, -1.0, float(size))
    values = ([tf.stack(cells)] if cells else []) + blocks
    absent = sum(int(v.shape[0]) for v in values)
    values = tf.concat(values + [tf.constant([ABSENT], tf.float32)], 0)
    total = width(slot_count)
    index = np.full(total, absent, np.int32)
    multiply = np.ones(total, np.float32)
    add = np.zeros(total, np.float32)
    for col, (position, times, plus) in placed.items():
        index[col], multiply[col], add[col] = position, times, plus
    for col, constant in constants.items():
        multiply[col], add[col] = 0.0, constant
    row = tf.gather(values, index)
    if (multiply != 1.0).any():
        row = row * multiply
    if add.any():
        row = row + add
    return row


def _blocks(vectors: list[tuple[Any, int, int]]) -> list[list[tuple[Any, int, int]]]:
    """Rank-1 gradients in blocks whose membership matrix (entries x vectors) stays small."""
    blocks: list[list] = []
    current: list = []
    entries = 0
    for item in vectors:
        if current and (entries + item[2]) * (len(current) + 1) > BATCHED_CELLS:
            blocks.append(current)
            current, entries = [], 0
        current.append(item)
        entries += item[2]
    if current:
        blocks.append(current)
    return blocks


def _float32(value: Any) -> tf.Tensor:
    value = tf.convert_to_tensor(value)
    return value if value.dtype == tf.float32 else tf.cast(value, tf.float32)


def _tensor_of(variable: Any) -> Any:
    return getattr(variable, "value", variable)


def _current_graph() -> Any:
    return None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()


def _distributed() -> bool:
    context = tf.distribute.get_replica_context()
    return context is not None and tf.distribute.get_strategy().num_replicas_in_sync > 1


def _add(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)


def _remember_target(target: Any) -> None:
    """Called with every ``GradientTape.gradient`` target while recording: the step's loss."""
    if isinstance(target, (tf.Tensor, tf.Variable)) and target.dtype.is_floating:
        _stash.target = target


def _take_target(grads: list) -> Any:
    """The loss whose gradients these are (the last tape target, when it belongs to their graph)."""
    target = getattr(_stash, "target", None)
    _stash.target = None
    reference = next((g for g in grads if g is not None), None)
    if target is not None and getattr(target, "graph", None) is getattr(reference, "graph", None):
        return target
    return None
