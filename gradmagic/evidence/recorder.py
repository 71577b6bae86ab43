"""The training-dynamics recorder (issue 4): watches every step of a captured ``fit``.

``recording(evidence, live, emit, options)`` wraps the real ``fit`` call. It installs the
in-graph statistics (``recorder_graph``), forces Keras to trace a fresh train function so
they are part of it, and adds one internal callback that copies the statistics to the host
every ``interval`` steps (and at epoch ends), probes activations on the sampled batch at
epoch ends, and emits live events. Everything it changed is put back when ``fit`` returns
or raises; what was recorded so far stays in ``evidence.recording``. If the recorder itself
fails, ``fit`` runs uninstrumented and ``Recording.notices`` says why.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Iterator

import keras
import numpy as np

from gradmagic.capture.live_fit import LiveFit
from gradmagic.core import keras_adapter
from gradmagic.evidence.activations import ActivationProbe
from gradmagic.evidence.facts.history import DEFAULT_BUCKETS, BucketHistory
from gradmagic.evidence.facts.recording import (
    DEFAULT_INTERVAL,
    NonfiniteEvent,
    Recording,
    jsonable,
    series_name,
)
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.evidence.recorder_graph import ABSENT, SLOT_COLUMNS, GraphRecorder, column
from gradmagic.core.errors import describe_error

DEFAULT_LIVE_SECONDS = 2.0
MAX_SNAPSHOTS = 64
MAX_EPOCH_MARKS = 4096

LAYER_QUANTITIES = ("grad_norm", "grad_max", "update_ratio", "zero_fraction", "weight_norm",
                    "nonfinite_grads", "nonfinite_weights", "zero_grad_units")
GLOBAL_QUANTITIES = ("loss", "loss_scale") + LAYER_QUANTITIES


# -- the context manager ----------------------------------------------------------------
@contextlib.contextmanager
def recording(evidence: FitEvidence, live: LiveFit, emit: Callable[[str, Any], None],
              options: dict[str, Any]) -> Iterator[Any]:
    """Record per-step statistics into ``evidence.recording`` while ``fit`` runs on ``live.model``.

    Options (``check(options=...)``): ``record`` (False turns the recorder off, read by the
    session), ``record_interval`` (steps between host reads, default 100; 1 reads after every
    step), ``record_live_seconds`` (at most this long between live ``"progress"`` events
    within an epoch, default 2; 0 for epoch events only), ``record_buckets`` (history
    resolution, default 1024 buckets), ``record_activations`` (probe activations at epoch
    ends, default True).

    Emits ``("epoch", payload)`` after every epoch and ``("progress", payload)`` within long
    epochs; payloads are plain JSON.

    Yields a function ``(args, kwargs) -> (args, kwargs)`` that adds the recorder's
    callback to ``fit``'s arguments (the identity when the recorder could not start).
    """
    session = None
    started = False
    try:
        session = _RecorderSession(evidence, live, emit, options)
        started = session.start()  # False: nothing to record (no optimizer, no trainable weight)
    except Exception as error:  # noqa: BLE001 - training goes on without the recorder
        if session is not None:
            session.abandon(f"the training recorder could not start ({_short(error)}); "
                            "this fit ran uninstrumented")
        else:
            evidence.recording = None
    if not started:
        yield _identity
        return
    try:
        yield session.add_callback
    finally:
        session.finish()


def _identity(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    return args, kwargs


class _RecorderSession:
    def __init__(self, evidence: FitEvidence, live: LiveFit, emit: Callable[[str, Any], None],
                 options: dict[str, Any]) -> None:
        self.evidence = evidence
        self.loss = live.loss
        self.emit = emit
        self.interval = max(1, int(options.get("record_interval", DEFAULT_INTERVAL)))
        self.live_seconds = float(options.get("record_live_seconds", DEFAULT_LIVE_SECONDS))
        self.buckets = int(options.get("record_buckets", DEFAULT_BUCKETS))
        self.probe_activations = bool(options.get("record_activations", True))
        self.model = live.model
        self.batch = live.batch
        self.graph: GraphRecorder | None = None
        self.probe: ActivationProbe | None = None
        self.restores: list[Callable[[], None]] = []
        self.callback: _HostCallback | None = None
        self.injected_into: Any = None
        self.rec: Recording | None = None
        self._membership = np.zeros((0, 0))
        self._slot_columns: dict[str, np.ndarray] = {}
        self._targets: dict[str, np.ndarray] = {}
        self._last_emit = 0.0
        self._epoch = 0

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> bool:
        """Install everything; False when there is nothing to record.

        A model whose weights do not exist yet (a custom ``train_step`` builds them in Keras's own
        trace) is recorded all the same: the graph recorder makes its slots at that trace's first
        ``apply`` and the host side starts at the first read after it (see ``read``).
        """
        model = self.model
        optimizer = getattr(model, "optimizer", None)  # a custom train_step may bring its own optimizers
        custom = self.evidence.custom_train_step
        built = bool(model.trainable_variables)
        if (optimizer is None and not custom) or not (built or custom and _unbuilt(model)):
            return False
        capacity = max(2 * self.interval, self.interval + 2 * int(getattr(model, "steps_per_execution", 1) or 1), 16)
        reused = _reusable_recorder(model, optimizer, capacity)
        if reused is None and not keras_adapter.retrace_is_safe(model):
            self.evidence.recording = Recording(slots=[], layers=[], history=BucketHistory([series_name("loss")], 2))
            self.evidence.recording.notices.append(
                "this fit reuses a train function Keras traced for other trainable weights; it was not "
                "instrumented, so that training stays exactly as Keras runs it")
            return False
        if reused is not None:
            # The train function gradmagic traced for this model, optimizer and weights in an earlier fit
            # is still the one Keras will run: keep it, as Keras does, and read its rows from here on.
            self.graph = reused
            reused.start_fit()
            reused.install()  # a retrace (new input shapes) is instrumented the same way
            self.restores.append(reused.uninstall)
            return self._start_host_side()
        if built and optimizer is not None and not optimizer.built and (keras_adapter.is_loss_scale_optimizer(optimizer)
                                                                        or not custom):
            # What the first apply() would do (same zero-initialised state): the step reads the
            # loss scale, and Keras traces the train step once instead of twice.
            with model.distribute_strategy.scope():
                optimizer.build(model.trainable_variables)
        self.graph = GraphRecorder(model, optimizer, capacity)  # unbuilt: its slots come in Keras's trace
        self.restores.append(keras_adapter.swap_train_function(model, keep=self.graph))
        self.graph.install()
        self.restores.append(self.graph.uninstall)
        return self._start_host_side()

    def _start_host_side(self) -> bool:
        self.callback = _HostCallback(self)
        if self.graph.started:
            self._start_recording()
        return True

    def _start_recording(self) -> None:
        """The Recording of the graph recorder's slots (known once the model has its weights)."""
        slots = self.graph.slots
        layers = []  # in the order of the model's trainable variables: forward order, also inside sub-models
        for slot in slots:
            if slot.layer is not None and slot.layer not in layers:
                layers.append(slot.layer)
        names = [series_name(q) for q in GLOBAL_QUANTITIES]
        names += [series_name(q, layer) for layer in layers for q in LAYER_QUANTITIES]
        self.rec = Recording(slots=slots, layers=layers, history=BucketHistory(names, self.buckets),
                             optimizer=_describe_optimizer(self.graph.optimizer), interval=self.interval)
        self.evidence.recording = self.rec
        self._plan_columns()
        if self.probe_activations:
            self.probe, reason = ActivationProbe.create(self.model, self.evidence.model_info, self.batch.x)
            if reason:
                self.rec.notices.append(reason)
        self.rec.active = True

    def add_callback(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """``fit``'s arguments with the recorder's callback added to ``callbacks`` where the user
        passed it (at its index, or as a keyword); nothing else changes and no user object is
        changed. Read against Keras's own signature, whatever stands at ``keras.Model.fit``."""
        from gradmagic.evidence.batches import FitArguments

        if self.evidence.method != "fit":
            return args, kwargs
        callbacks = FitArguments.bind("fit", self.model, args, kwargs).get("callbacks")
        if isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks.callbacks.append(self.callback)
            self.callback.set_model(self.model)
            self.injected_into = callbacks
            return args, kwargs
        return FitArguments.place("fit", args, kwargs, "callbacks", [*(callbacks or []), self.callback])

    def abandon(self, notice: str) -> None:
        for restore in reversed(self.restores):
            with contextlib.suppress(Exception):
                restore()
        self.restores.clear()
        rec = self.rec or Recording(slots=[], layers=[], history=BucketHistory([series_name("loss")], 2))
        rec.active = False
        rec.notices.append(notice)
        self.evidence.recording = rec

    def finish(self) -> None:
        try:
            self.read()
        except Exception as error:  # noqa: BLE001
            self._notice(f"the last statistics could not be read ({_short(error)})")
        if self.injected_into is not None:
            with contextlib.suppress(ValueError):
                self.injected_into.callbacks.remove(self.callback)
        for restore in reversed(self.restores):
            try:
                restore()
            except Exception as error:  # noqa: BLE001
                self._notice(f"the recorder could not restore the model ({_short(error)})")
        self.restores.clear()
        if self.graph is not None:
            for message in dict.fromkeys(self.graph.trace_errors):
                self._notice(f"the in-graph statistics failed ({message}); the step ran uninstrumented")
            for message in self.graph.notes:
                self._notice(message)
            if self.rec is not None:
                self.rec.dropped = self.graph.dropped
                self._count_bad_weights()
                self._post_mortem()
        if self.rec is not None:
            self.rec.active = False

    def _count_bad_weights(self) -> None:
        event = self.rec.nonfinite.get("weight")
        if event is None:
            return
        wanted = set(event.variables)
        total = 0
        for variable in self.model.trainable_variables:
            if str(getattr(variable, "path", variable.name)) in wanted:
                total += int((~np.isfinite(np.asarray(variable.numpy(), np.float64))).sum())
        event.values = total

    def _post_mortem(self) -> None:
        """Replay the sampled batch on the final weights to find the op that makes NaN/Inf
        (possible when the weights themselves stayed finite, e.g. a NaN made in the loss)."""
        rec = self.rec
        if "loss" not in rec.nonfinite:
            return
        weights = [np.asarray(v.numpy()) for v in self.model.trainable_variables]
        from gradmagic.evidence.postmortem import locate_in_loss_at_output_edges, locate_nonfinite

        try:
            if all(np.isfinite(w).all() for w in weights if np.issubdtype(w.dtype, np.floating)):
                rec.origin = locate_nonfinite(self.model, weights, self.batch, self.loss)
            else:  # the failing step wrote NaN into the weights: look at the user's loss instead
                rec.origin = locate_in_loss_at_output_edges(self.model, self.batch, self.loss)
        except Exception as error:  # noqa: BLE001
            self._notice(f"the NaN/Inf could not be traced to an op ({_short(error)})")

    def _notice(self, text: str) -> None:
        if self.rec is not None and text not in self.rec.notices:
            self.rec.notices.append(text)

    # -- host reads -----------------------------------------------------------------------
    def read(self) -> None:
        if self.graph is None or not self.graph.started:
            return
        if self.rec is None:  # the model got its weights in Keras's trace of the step
            self._start_recording()
        block = self.graph.read()
        if block is None:
            return
        first_step, rows = block
        rec = self.rec
        rec.reads += 1
        rec.steps = first_step + len(rows) - 1
        self._sync_optimizers()
        if rows[:, 2].any():
            rec.loss_known = True
        values, present = self._series_values(rows)
        rec.history.add_masked(first_step, values, present)
        self._note_events(first_step, rows)

    def _sync_optimizers(self) -> None:
        """Which optimizers applied gradients (known once Keras traced the step), and the main one:
        ``model.optimizer`` when it applied any, else the first that did (a GAN's first apply)."""
        rec, graph = self.rec, self.graph
        rec.loss_parts = graph.loss_parts
        if len(rec.optimizers) == len(graph.appliers):
            return
        rec.optimizers = []
        for optimizer, slots in graph.appliers.values():
            described = _describe_optimizer(optimizer)
            layers = {rec.slots[i].layer for i in slots}
            described["layers"] = [layer for layer in rec.layers if layer in layers]
            described["variables"] = len(slots)
            rec.optimizers.append(described)
        appliers = [optimizer for optimizer, _ in graph.appliers.values()]
        main = self.model.optimizer if any(o is self.model.optimizer for o in appliers) else appliers[0]
        rec.optimizer = _describe_optimizer(main)

    def _plan_columns(self) -> None:
        """Which slots make up each group (the whole model, then each layer) and where each
        group's statistics go in the history."""
        rec = self.rec
        slots = rec.slots
        groups: list[str | None] = [None, *rec.layers]
        membership = np.zeros((len(slots), len(groups)), np.float64)
        membership[:, 0] = 1.0
        for g, layer in enumerate(groups[1:], start=1):
            for i, slot in enumerate(slots):
                membership[i, g] = slot.layer == layer
        self._membership = membership
        self._slot_columns = {name: np.array([column(i, name) for i in range(len(slots))], np.int64)
                              for name in SLOT_COLUMNS}
        self._targets = {quantity: np.array([rec.history.index[series_name(quantity, layer)] for layer in groups])
                         for quantity in LAYER_QUANTITIES}

    def _series_values(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rec = self.rec
        out = np.full((len(rows), len(rec.history.names)), np.nan)
        present = np.zeros(out.shape, bool)
        out[:, rec.history.index["loss"]] = rows[:, 0]
        present[:, rec.history.index["loss"]] = rows[:, 2] > 0
        if rec.optimizer.get("loss_scale"):
            out[:, rec.history.index["loss_scale"]] = rows[:, 1]
            present[:, rec.history.index["loss_scale"]] = True
        sizes = np.array([s.size for s in rec.slots], np.float64)
        dense = np.array([not s.sparse for s in rec.slots])
        units = np.array([s.units for s in rec.slots], np.float64)
        stats = _group_stats(rows.astype(np.float64), self._slot_columns, self._membership, sizes, dense, units)
        for quantity, (value, mask) in stats.items():
            out[:, self._targets[quantity]] = value
            present[:, self._targets[quantity]] = mask
        return out, present

    def _note_events(self, first_step: int, rows: np.ndarray) -> None:
        rec = self.rec
        slots = rec.slots
        if "loss" not in rec.nonfinite:
            bad = (rows[:, 2] > 0) & ~np.isfinite(rows[:, 0])
            if bad.any():
                at = int(np.argmax(bad))
                rec.nonfinite["loss"] = NonfiniteEvent(step=first_step + at, loss=_float(rows[at, 0]))
        for kind, name in (("gradient", "grad_sq"), ("weight", "weight_sq")):
            if kind in rec.nonfinite:
                continue
            counts = (~np.isfinite(rows[:, [column(i, name) for i in range(len(slots))]])).astype(np.int64)
            bad_rows = (counts > 0).any(axis=1)
            if not bad_rows.any():
                continue
            at = int(np.argmax(bad_rows))
            which = np.flatnonzero(counts[at] > 0)
            layers = []
            for i in which:
                if slots[i].layer and slots[i].layer not in layers:
                    layers.append(slots[i].layer)
            order = {name: k for k, name in enumerate(rec.layers)}
            layers.sort(key=lambda name: order.get(name, len(order)))
            rec.nonfinite[kind] = NonfiniteEvent(
                step=first_step + at, layers=layers, variables=[slots[i].path for i in which],
                count=int(counts[at].sum()), loss=_float(rows[at, 0]) if rows[at, 2] > 0 else None)

    # -- callback hooks ---------------------------------------------------------------------
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.read()
        rec = self.rec
        if rec is None:  # no step has made the model's weights yet
            return
        rec.epoch_ends.append(rec.steps)
        rec.epoch_logs.append({"step": rec.steps, "values": _scalar_logs(logs)})
        if len(rec.epoch_ends) > MAX_EPOCH_MARKS:
            rec.epoch_ends[:] = rec.epoch_ends[:1] + rec.epoch_ends[2::2]
        if len(rec.epoch_logs) > MAX_EPOCH_MARKS:
            rec.epoch_logs[:] = rec.epoch_logs[:1] + rec.epoch_logs[2::2]
        self._measure_activations(epoch)
        self.emit("epoch", self.payload(epoch))
        self._last_emit = time.monotonic()

    def on_train_begin(self) -> None:
        self._measure_activations(None)

    def maybe_read(self, pending_steps: int) -> None:
        """Read when ``interval`` steps are waiting, or for a live update every few seconds."""
        live = bool(self.live_seconds) and time.monotonic() - self._last_emit >= self.live_seconds
        if pending_steps < self.interval and not live:
            return
        self.read()
        self.callback.pending = 0
        if live and self.rec is not None:
            self._last_emit = time.monotonic()
            self.emit("progress", self.payload(self._epoch))

    def _measure_activations(self, epoch: int | None) -> None:
        if self.probe is None:
            return
        try:
            snapshot = self.probe.measure(self.rec.steps, epoch)
        except Exception as error:  # noqa: BLE001
            self._notice(f"activations could not be probed ({_short(error)})")
            self.probe = None
            return
        shots = self.rec.activations
        shots.append(snapshot)
        if len(shots) > MAX_SNAPSHOTS:
            shots[:] = shots[:1] + shots[2:-1:2] + shots[-1:]

    def payload(self, epoch: int | None) -> dict[str, Any]:
        rec = self.rec
        last = rec.history.last
        index = rec.history.index
        return jsonable({
            "fit": self.evidence.index,
            "epoch": epoch,
            "step": rec.steps,
            "loss": _finite(last[index["loss"]]),  # None when NaN/Inf (see "nonfinite") or unknown
            "grad_norm": _finite(last[index["grad_norm"]]),
            "update_ratio": _finite(last[index["update_ratio"]]),
            "nonfinite": sorted(rec.nonfinite),
        })


class _HostCallback(keras.callbacks.Callback):
    """Internal: counts steps on the host and triggers reads; touches no logs."""

    def __init__(self, session: _RecorderSession) -> None:
        super().__init__()
        self.session = session
        self.pending = 0
        self.steps_per_call = 1

    def on_train_begin(self, logs=None):
        self.steps_per_call = max(1, int(getattr(self.session.model, "steps_per_execution", 1) or 1))
        self.session.on_train_begin()

    def on_epoch_begin(self, epoch, logs=None):
        self.session._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.pending:
            self.session.maybe_read(self.pending)
        self.pending += self.steps_per_call

    def on_epoch_end(self, epoch, logs=None):
        self.pending = 0
        self.session.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self.session.read()


def _unbuilt(model: Any) -> bool:
    """Some layer of ``model`` has not made its weights yet: ``fit`` makes them in its first trace."""
    return not model.built or not all(layer.built for layer in keras_adapter.flatten_layers(model))


def _reusable_recorder(model: Any, optimizer: Any, capacity: int) -> GraphRecorder | None:
    """The recorder of the train function gradmagic traced earlier for this model, when Keras would
    reuse that function now: same optimizer, same trainable weights in the same order."""
    function = getattr(model, "train_function", None)
    recorder = getattr(function, "__gradmagic_recorder__", None)
    if recorder is None or recorder.model is not model or recorder.optimizer is not optimizer \
            or recorder.capacity < capacity:
        return None
    if [id(v) for v in model.trainable_variables] != recorder.variable_ids:
        return None
    return recorder


def _group_stats(rows: np.ndarray, cols: dict[str, np.ndarray], membership: np.ndarray, sizes: np.ndarray,
                 dense: np.ndarray, units: np.ndarray | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-group statistics for a block of rows: each value is (steps, groups), with a mask of
    where the group was measured. ``membership`` is (slots, groups) of 0/1; ``units`` the entries
    of each rank-1 slot (a bias: one per unit), 0 for the others.

    ``zero_grad_units``: the fraction of the group's units (bias entries) whose gradient was
    exactly 0 for the whole batch: a ReLU unit that outputs 0 for every sample gets none."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # NaN/Inf are data here
        grad_sq = rows[:, cols["grad_sq"]]
        has_grad = grad_sq != ABSENT  # NaN compares unequal: a NaN gradient is present
        grad_bad = has_grad & ~np.isfinite(grad_sq)
        any_grad = (has_grad.astype(np.float64) @ membership) > 0
        bad_grads = grad_bad.astype(np.float64) @ membership
        grad_norm = np.sqrt(np.where(has_grad & ~grad_bad, grad_sq, 0.0) @ membership)
        grad_norm = np.where(bad_grads > 0, np.nan, grad_norm)
        grad_max = np.where(has_grad, rows[:, cols["grad_max"]], -np.inf)
        grad_max = np.where(membership[np.newaxis] > 0, grad_max[:, :, np.newaxis], -np.inf).max(axis=1)
        grad_max = np.where(bad_grads > 0, np.nan, grad_max)
        zeros = rows[:, cols["grad_zeros"]]
        counted = has_grad & (zeros != ABSENT) & np.isfinite(zeros) & dense[np.newaxis, :]
        zero_size = (counted * sizes[np.newaxis, :]) @ membership
        zero_fraction = (np.where(counted, zeros, 0.0) @ membership) / np.where(zero_size > 0, zero_size, 1.0)
        weight_sq = rows[:, cols["weight_sq"]]
        has_weight = weight_sq != ABSENT
        weight_bad = has_weight & ~np.isfinite(weight_sq)
        any_weight = (has_weight.astype(np.float64) @ membership) > 0
        bad_weights = weight_bad.astype(np.float64) @ membership
        weight_norm = np.sqrt(np.where(has_weight & ~weight_bad, weight_sq, 0.0) @ membership)
        update_sq = np.where(has_weight & ~weight_bad, rows[:, cols["update_sq"]], 0.0)
        update = np.sqrt(np.where(np.isfinite(update_sq), update_sq, 0.0) @ membership)
        ratio = np.where(bad_weights > 0, np.nan, update / np.where(weight_norm > 0, weight_norm, 1.0))
        weight_norm = np.where(bad_weights > 0, np.nan, weight_norm)
        units = np.zeros(len(sizes)) if units is None else units
        silent = rows[:, cols["zero_units"]]
        measured = has_grad & (silent != ABSENT) & np.isfinite(silent) & (units[np.newaxis, :] > 0)
        unit_count = (measured * units[np.newaxis, :]) @ membership
        zero_units = (np.where(measured, silent, 0.0) @ membership) / np.where(unit_count > 0, unit_count, 1.0)
    return {
        "zero_grad_units": (zero_units, unit_count > 0),
        "grad_norm": (grad_norm, any_grad),
        "grad_max": (grad_max, any_grad),
        "update_ratio": (ratio, any_weight & ((weight_norm > 0) | (bad_weights > 0))),
        "zero_fraction": (zero_fraction, zero_size > 0),
        "weight_norm": (weight_norm, any_weight),
        "nonfinite_grads": (bad_grads, any_grad),
        "nonfinite_weights": (bad_weights, any_weight),
    }


def _describe_optimizer(optimizer: Any) -> dict[str, Any]:
    if optimizer is None:
        return {"class": None, "learning_rate": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                "loss_scale": False}
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    try:
        learning_rate = float(f"{float(np.asarray(keras.ops.convert_to_numpy(inner.learning_rate))):.7g}")
    except Exception:  # noqa: BLE001 - a schedule or a custom optimizer
        learning_rate = None
    return {
        "class": type(inner).__name__,
        "learning_rate": learning_rate,
        "clipnorm": getattr(inner, "clipnorm", None),
        "global_clipnorm": getattr(inner, "global_clipnorm", None),
        "clipvalue": getattr(inner, "clipvalue", None),
        "loss_scale": keras_adapter.is_loss_scale_optimizer(optimizer),
    }


def _short(error: BaseException) -> str:
    """``TypeName: the line that says what went wrong`` (not ``in user code:``)."""
    return describe_error(error)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _finite(value: Any) -> float | None:
    number = _float(value)
    return number if number is not None and np.isfinite(number) else None


def _scalar_logs(logs: Any) -> dict[str, float]:
    """The numbers of Keras's epoch logs (loss, compiled metrics, ``val_*``), NaN/Inf kept."""
    numbers = {str(name): _scalar(value) for name, value in (logs or {}).items()}
    return {name: number for name, number in numbers.items() if number is not None}


def _scalar(value: Any) -> float | None:
    if isinstance(value, (str, bytes)):
        return None
    try:
        return float(value) if np.ndim(value) == 0 else None
    except Exception:  # noqa: BLE001 - a log entry gradmagic cannot read is left out
        return None
