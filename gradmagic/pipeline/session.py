"""``check()``: instrument every ``keras.Model.fit`` while active and build the Report.

Keras is patched at the class level for the duration and restored exactly afterwards
(also on exceptions). Anything gradmagic itself gets wrong becomes a notice in the
report; the user's ``fit`` still runs with the same arguments.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import threading
import time

import weakref
from typing import Any, Callable

import keras

from gradmagic.core import keras_adapter
from gradmagic.core.source import SourceUnit
from gradmagic.core.tracebacks import strip_gradmagic_frames
from gradmagic.capture.interception import creation_line, filtered_like_keras, user_warnings
from gradmagic.capture.live_fit import LiveFit
from gradmagic.evidence.batches import PROBE_ROWS, FitArguments, first_item_served, sample_fit_data
from gradmagic.evidence.compiled import describe_loss, optimizer_state
from gradmagic.evidence.facts.sealed import seal
from gradmagic.evidence.fit_evidence import FitEvidence, FitException
from gradmagic.evidence.model_info import describe_model, enclosing_models
from gradmagic.evidence.preflight import run_preflight
from gradmagic.evidence.probe import (
    StepWatch,
    gradients_stay_zero,
    probe_after_fit,
    run_probe,
    traced_layer_order,
    watching_the_step,
)
from gradmagic.evidence.recorder import recording
from gradmagic.core.errors import describe_error
from gradmagic.report.flow_graph import needs_traced_order, record_graph
from gradmagic.report.model import FitRecord, Report
from gradmagic.report.writer import ReportWriter
from gradmagic.rules.registry import REPORT_POLICY, run_rules

PATCHED_METHODS = ("fit", "train_on_batch")
_active = threading.local()
_open_sessions: list[CheckSession] = []  # outermost first; a nested check reports to the outer ones too


class CheckSession:
    """One active check. Use through :func:`gradmagic.check`."""

    def __init__(self, source: SourceUnit, *, reraise: bool = True, probe: bool = True,
                 train: bool = True, options: dict[str, Any] | None = None) -> None:
        self.source = source
        self.reraise = reraise
        self.probe = probe
        self.train = train
        self.options = options or {}
        self.report = Report(source=source.text, filename=source.filename)
        self.writer = ReportWriter(self.report, REPORT_POLICY)
        self.evidence: list[FitEvidence] = []
        self.layer_lines: dict[int, int] = {}
        self._models: list[weakref.ref] = []  # every keras.Model created while active
        # id() -> (live object, its number): models and optimizers the evidence refers to by number; kept
        # alive for the check so that no other object takes their id()
        self._identities: dict[int, tuple[Any, int]] = {}
        self._saved: dict[str, Any] = {}
        self._seen_batches: set[tuple[int, int | None]] = set()
        self._started = 0.0
        self.listeners: list[Callable[[str, Any], None]] = []

    # -- install / restore -------------------------------------------------------------
    def __enter__(self) -> Report:
        self.source.register()
        self._started = time.perf_counter()
        for name in PATCHED_METHODS:
            self._saved[name] = keras.Model.__dict__.get(name, _MISSING)
            setattr(keras.Model, name, self._instrumented(name, getattr(keras.Model, name)))
        self._saved["layer_init"] = keras.Layer.__dict__["__init__"]
        keras.Layer.__init__ = self._recording_layer_init(self._saved["layer_init"])
        _open_sessions.append(self)
        return self.report

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self in _open_sessions:
            _open_sessions.remove(self)
        self.restore()
        self.report.duration_s = round(time.perf_counter() - self._started, 3)
        if exc is not None:
            strip_gradmagic_frames(exc)  # the traceback the user sees is the one without gradmagic
        return False

    def restore(self) -> None:
        for name in PATCHED_METHODS:
            saved = self._saved.get(name, _MISSING)
            if saved is _MISSING:
                if name in keras.Model.__dict__:
                    delattr(keras.Model, name)
            else:
                setattr(keras.Model, name, saved)
        if "layer_init" in self._saved:
            keras.Layer.__init__ = self._saved.pop("layer_init")

    def _recording_layer_init(self, original: Callable) -> Callable:
        session = self

        def __init__(layer, *args, **kwargs):
            original(layer, *args, **kwargs)
            if isinstance(layer, keras.Model):
                session._models.append(weakref.ref(layer))
            if id(layer) not in session.layer_lines:
                line = creation_line(session.source, sys._getframe(1))
                if line is not None:
                    session.layer_lines[id(layer)] = line

        return __init__

    # -- the instrumented call ----------------------------------------------------------
    def _instrumented(self, method: str, original: Callable) -> Callable:
        session = self

        def instrumented(model, *args, **kwargs):
            __tracebackhide__ = True  # IPython shows the user's frames, not gradmagic's
            if getattr(_active, "busy", False):
                return original(model, *args, **kwargs)
            line = session.source.caller_line(sys._getframe(1))
            if method == "train_on_batch":
                key = (id(model), line)
                if key in session._seen_batches:
                    return original(model, *args, **kwargs)
                session._seen_batches.add(key)
            _active.busy = True
            try:
                with user_warnings(), filtered_like_keras():
                    return session._run_fit(method, original, model, line, args, kwargs)
            finally:
                _active.busy = False

        instrumented.__wrapped__ = original
        instrumented.__gradmagic__ = True
        return instrumented

    def _run_fit(self, method: str, original: Callable, model: keras.Model, line: int | None,
                 args: tuple, kwargs: dict) -> Any:
        __tracebackhide__ = True
        evidence, live = None, None
        try:
            evidence, live, args, kwargs = self._before_fit(method, original, model, line, args, kwargs)
        except Exception as error:  # noqa: BLE001 - gradmagic must never stop the user's fit
            self._notice(f"gradmagic could not prepare this {method} call ({describe_error(error)})")

        if not self.train:
            result, raised = None, None
            if evidence is not None:
                evidence.status = "completed"
        else:
            watch = StepWatch()
            result, raised = self._call_fit(original, model, args, kwargs, evidence, live, watch)
            if evidence is not None:
                evidence.train_function_after = keras_adapter.train_function_id(model)
                self._probe_after(evidence, live, watch, raised)
                self._note_layer_order(evidence, watch)

        if evidence is not None:
            self._measure_after(evidence, model)
            self._record(evidence)
        if raised is not None:
            if isinstance(raised, KeyboardInterrupt) or self.reraise:
                raise raised
            return None
        return result

    def _before_fit(self, method, original, model, line, args, kwargs):
        index = len(self.report.fits)  # after any fit a nested check shared with this one
        # bound against Keras's own signature to read the arguments; what stands at
        # keras.Model.<method> (a user's wrapper, say) still gets them as the user passed them
        fit_args = FitArguments.bind(method, model, args, kwargs)
        if method != "fit":
            fit_args.arguments.setdefault("batch_size", None)
        sample, replacements = sample_fit_data(fit_args)
        for name, value in replacements.items():
            fit_args.arguments[name] = value
            args, kwargs = FitArguments.place(method, args, kwargs, name, value)
        live = LiveFit(model=model, loss=keras_adapter.compiled_loss_config(model), arguments=fit_args.arguments,
                       batch=sample)
        evidence = FitEvidence(
            index=index,
            line=line,
            method=method,
            model_identity=self._identity(model),
            model_info=describe_model(model, self.layer_lines),
            data=sample.facts,
            custom_train_step=keras_adapter.has_custom_train_step(model),
            compiled=keras_adapter.is_compiled(model),
            loss=describe_loss(live.loss),
            run_eagerly=keras_adapter.runs_eagerly(model),
        )
        evidence.train_function_before = keras_adapter.train_function_id(model)
        evidence.enclosing_models = enclosing_models(
            model, [m for ref in self._models if (m := ref()) is not None], self.layer_lines)
        self.evidence.append(evidence)
        try:
            evidence.preflight = run_preflight(evidence, self.source, live)
        except Exception as error:  # noqa: BLE001
            self._notice(f"the pre-flight checks failed ({describe_error(error)})")
        # probed now when no fit will trace the step, or when the first batch holds NaN/Inf (what one step on it
        # does is measured on the weights as they are before that step); otherwise after the fit, and only if
        # the fit asks for it (a model without weights yet gets them in Keras's own trace: see the recorder)
        if self.probe and evidence.compiled and (not self.train or _first_batch_nonfinite(evidence.preflight)):
            try:
                evidence.probe = run_probe(model, sample, self.source)
            except Exception as error:  # noqa: BLE001
                self._notice(f"the gradient probe failed ({describe_error(error)})")
            evidence.model_info = describe_model(model, self.layer_lines)
        return evidence, live, args, kwargs

    def _identity(self, thing: Any) -> int:
        """A number for a live object, the same for it throughout this check."""
        key = id(thing)
        if key not in self._identities:
            self._identities[key] = (thing, len(self._identities) + 1)
        return self._identities[key][1]

    def _measure_after(self, evidence: FitEvidence, model: keras.Model) -> None:
        """What the call left behind that the rules read: the optimizer (a failed step has built it)."""
        try:
            evidence.optimizer = optimizer_state(model, self._identity)
        except Exception as error:  # noqa: BLE001
            self._notice(f"the optimizer could not be described ({describe_error(error)})")

    def _probe_after(self, evidence: FitEvidence, live: LiveFit, watch: StepWatch,
                     raised: BaseException | None) -> None:
        """The gradient probe, run only when the fit asks for it (see ``probe_after_fit``)."""
        if not self.probe or not evidence.compiled or evidence.probe is not None or isinstance(raised, KeyboardInterrupt):
            return
        try:
            evidence.probe = probe_after_fit(live.model, live.batch, self.source, watch, raised,
                                             zero_gradients=gradients_stay_zero(evidence.recording))
        except Exception as error:  # noqa: BLE001
            self._notice(f"the gradient probe failed ({describe_error(error)})")
        evidence.model_info = describe_model(live.model, self.layer_lines)

    def _note_layer_order(self, evidence: FitEvidence, watch: StepWatch) -> None:
        """The order the traced step called the layers in, for a model whose structure does not give it."""
        if not needs_traced_order(evidence.model_info.layers):
            return
        try:
            evidence.traced_layer_order = traced_layer_order(watch, evidence.model_info)
        except Exception as error:  # noqa: BLE001
            self._notice(f"the order of the layers could not be traced ({describe_error(error)})")

    def _call_fit(self, original, model, args, kwargs, evidence, live: LiveFit | None, watch: StepWatch):
        __tracebackhide__ = True
        try:
            with self._watching(evidence, watch), self._first_item(evidence, live, args, kwargs), \
                    self._recording(evidence, live) as add_recorder:
                if add_recorder is not None:  # the recorder's internal callback joins fit's callbacks
                    args, kwargs = add_recorder(args, kwargs)
                result = original(model, *args, **kwargs)
        except KeyboardInterrupt as error:
            self._mark(evidence, "interrupted", error)
            return None, error
        except Exception as error:  # noqa: BLE001 - kept in the report, re-raised by policy
            self._mark(evidence, "failed", error)
            return None, error
        return result, None

    def _first_item(self, evidence: FitEvidence | None, live: LiveFit | None, args: tuple, kwargs: dict):
        """A ``PyDataset`` sampled before the fit serves that item to Keras's first ``[0]`` (no extra call)."""
        if evidence is None or live is None or live.batch.kind != "pydataset" or live.batch.element is None:
            return contextlib.nullcontext()
        dataset = FitArguments.bind(evidence.method, live.model, args, kwargs).arguments.get("x")
        return first_item_served(dataset, live.batch.element)

    def _watching(self, evidence: FitEvidence | None, watch: StepWatch):
        if evidence is None or not self.probe or not evidence.compiled:
            return contextlib.nullcontext()
        return watching_the_step(watch, self.source)

    def _recording(self, evidence: FitEvidence | None, live: LiveFit | None):
        if evidence is None or live is None or not self.options.get("record", True):
            return contextlib.nullcontext()
        return recording(evidence, live, self._emit, self.options)

    def _mark(self, evidence: FitEvidence | None, status: str, error: BaseException) -> None:
        if evidence is None:
            return
        evidence.status = status
        evidence.exception = FitException(
            type(error).__name__, str(error), self.source.traceback_line(error.__traceback__)
        )

    def _record(self, evidence: FitEvidence) -> None:
        self._keep_history(evidence)
        exception = evidence.exception
        self.report.fits.append(
            FitRecord(
                index=evidence.index,
                line=evidence.line,
                status=evidence.status,
                exception_type=exception.type if exception else None,
                exception_message=exception.message if exception else None,
                model_name=evidence.model_info.name,
                method=evidence.method,
                exception_line=exception.line if exception else None,
            )
        )
        seal(evidence)  # measured: from here on the rules read it, nothing changes it
        failed: list[str] = []
        try:
            for finding in run_rules(self.source, evidence, self.evidence[:-1], failed):
                self.writer.add(finding, fit=evidence.index)  # one finding per cause across fits and layers
        except Exception as error:  # noqa: BLE001
            self._notice(f"gradmagic could not finish its checks ({describe_error(error)})")
        for rule in failed:
            self._notice(f"the gradmagic rule {rule} failed; the other rules ran")
        try:
            record_graph(self.report, evidence)
        except Exception as error:  # noqa: BLE001
            self._notice(f"the gradient-flow graph could not be built ({describe_error(error)})")
        self._emit("fit_end", evidence)
        self._share_with_outer_sessions()

    def _share_with_outer_sessions(self) -> None:
        """A ``check()`` inside a checked script: the enclosing check of the same file sees its fits."""
        for outer in _open_sessions:
            if outer is self or outer.source.filename != self.source.filename:
                continue
            fit = self.report.fits[-1]
            shared = copy.copy(fit)
            shared.index = len(outer.report.fits)  # numbered among the outer check's fits
            outer.report.fits.append(shared)
            for finding in self.report.findings:
                if fit.index in finding.fit_indices or not finding.fit_indices:
                    copied = copy.deepcopy(finding)  # a copy: merging edits it
                    if copied.fit_indices:
                        copied.evidence["fits"] = [shared.index]
                    outer.writer.add(copied, fit=shared.index)

    def _keep_history(self, evidence: FitEvidence) -> None:
        """The recorder's bounded history goes into ``report.history["fits"]``; its notices too."""
        recorded = evidence.recording
        if recorded is None:
            return
        for text in getattr(recorded, "notices", []):
            self._notice(text)
        try:
            entry = recorded.to_dict()
        except Exception as error:  # noqa: BLE001
            self._notice(f"the training history could not be kept ({describe_error(error)})")
            return
        entry["fit"] = evidence.index
        if self.report.history is None:
            self.report.history = {"fits": []}
        self.report.history.setdefault("fits", []).append(entry)

    def _notice(self, text: str) -> None:
        if text not in self.report.notices:
            self.report.notices.append(text)

    def _emit(self, event: str, payload: Any) -> None:
        for listener in self.listeners:
            try:
                listener(event, payload)
            except Exception:  # noqa: BLE001 - a broken view must not stop training
                pass


def _first_batch_nonfinite(preflight: Any) -> bool:
    """The pre-flight saw NaN/Inf in the rows of the first batch."""
    if preflight is None:
        return False
    stats = [*preflight.inputs, *preflight.targets]
    return any(item.first_nonfinite and item.first_nonfinite[0] < PROBE_ROWS for item in stats)


class _Missing:
    pass


_MISSING = _Missing()


def check(source: str | None = None, filename: str | None = None, *, reraise: bool = True,
          probe: bool = True, train: bool = True, options: dict[str, Any] | None = None) -> CheckSession:
    """Diagnose every ``fit`` call made while the returned context is active.

    Args:
        source: the text of the cell or script being checked; lines in the report refer
            to it. Defaults to the file of the calling frame.
        filename: the filename ``source`` is compiled under. Defaults to the caller's file.
        reraise: re-raise an exception from ``fit`` after diagnosing it (the report is
            complete by then), so a program behaves inside the block as outside it.
            Defaults to True; ``reraise=False`` makes a failed ``fit`` return None, the
            exception being kept in the report. A ``KeyboardInterrupt`` always propagates.
        probe: run the one-batch gradient probe before training. Defaults to True.
        train: run ``fit`` itself. Defaults to True; False checks without training.

    Returns:
        A context manager whose ``__enter__`` returns the live :class:`Report`.

    Example:
        >>> with gradmagic.check() as report:
        ...     model.fit(x, y)
        >>> print(report.codes())

        A failing ``fit`` raises its own exception out of the block; the report holds the
        diagnosis (``reraise=False`` keeps going instead).
    """
    if filename is None or source is None:
        caller = sys._getframe(1)
        filename = filename or caller.f_code.co_filename
        if source is None:
            import linecache

            source = "".join(linecache.getlines(filename))
    return CheckSession(SourceUnit(source, filename), reraise=reraise, probe=probe, train=train, options=options)
