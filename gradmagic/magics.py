"""``%%gradcheck`` (check every ``fit`` of a cell) and ``%gradcheck on|off`` (explain Keras errors).

``%load_ext gradmagic`` registers both. The cell runs as it would without the magic: same
namespace, same output, same exception at the end; a diagnosis panel and a diagnosis
record are displayed before the exception (if any) surfaces. If gradmagic itself fails,
the cell still runs and a one-line notice says so.

Under ``%gradcheck on`` every cell runs under a check, and a cell that raises an error gradmagic
explains is diagnosed from what its ``fit`` calls left while it ran: the cell never runs twice.
Loading the extension does not import TensorFlow; a checked cell does, when it needs it.
"""

from __future__ import annotations

import ast
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, TracebackType
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from gradmagic.report.model import Report

if TYPE_CHECKING:
    from gradmagic.capture.session import CheckSession
    from gradmagic.views.widget import CellText

_HEADER = re.compile(r"^[ \t]*%%gradcheck\b.*(?:\n|$)", re.M)
NO_FIT_NOTE = "gradmagic: no `fit` call ran in this cell, so there was nothing to check"
LIVE_INTERVAL_S = 0.5

# Keras errors the engine explains, by exception type and a piece of the message.
EXPLAINED_ERRORS: tuple[tuple[type[BaseException], str], ...] = (
    (ValueError, "No gradients provided for any variable"),
    (AttributeError, "'SymbolicTensor' object has no attribute 'numpy'"),
    (NotImplementedError, "Cannot convert a symbolic tf.Tensor"),
    (TypeError, "Cannot convert a symbolic tf.Tensor"),
    (TypeError, "unsupported operand type(s) for -: 'NoneType'"),
)


def __getattr__(name: str) -> Any:
    """``check``, ``CheckSession`` and ``CellText`` on first use: ``%load_ext gradmagic`` must not
    import TensorFlow (it is imported when a checked cell first needs it)."""
    if name in ("check", "CheckSession"):
        from gradmagic.capture import session

        return getattr(session, name)
    if name == "CellText":
        from gradmagic.views.widget import CellText

        return CellText
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check(*args: Any, **kwargs: Any) -> CheckSession:
    """``gradmagic.capture.session.check``, or whatever replaced ``gradmagic.magics.check``."""
    return sys.modules[__name__].check(*args, **kwargs)


def is_explained(error: BaseException) -> bool:
    return any(isinstance(error, kind) and text in str(error) for kind, text in EXPLAINED_ERRORS)


def _notice(text: str) -> None:
    print(f"gradmagic: {text}", file=sys.stderr)


def _current_request(shell: Any) -> tuple[str | None, str | None]:
    """The cell id and the cell text of the execute request being run, when a kernel says so."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None, None
    try:
        parent = kernel.get_parent() or {}
    except Exception:  # noqa: BLE001 - an old or foreign kernel
        return None, None
    code = (parent.get("content") or {}).get("code")
    cell_id = (parent.get("metadata") or {}).get("cellId")
    return (str(cell_id) if cell_id else None), (code if isinstance(code, str) else None)


def cell_number(shell: Any) -> int:
    """The ``In[n]`` of the cell running now (IPython may already have counted it)."""
    numbers = getattr(shell.compile, "_filename_map", {})
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename in numbers:
            return numbers[frame.f_code.co_filename]
        frame = frame.f_back
    return shell.execution_count


@dataclass
class PreparedCell:
    """A ``%%gradcheck`` body ready to run: checked source, filename, code, last expression."""

    cell: CellText
    source: str
    filename: str
    code: CodeType
    last: CodeType | None


def prepare_cell(shell: Any, line: str, body: str) -> PreparedCell:
    """Transform the body the way IPython would and compile it so its lines are the cell's lines.

    Raises:
        SyntaxError: the cell's own syntax error.
    """
    cell_id, raw = _current_request(shell)
    match = _HEADER.search(raw) if raw else None
    verified = match is not None and raw[match.end():].rstrip("\n") == body.rstrip("\n")
    if not verified:
        raw = f"%%gradcheck {line}".rstrip() + "\n" + body
        match = _HEADER.search(raw)
    header = raw[:match.end()]
    placeholders = header.count("\n")
    from gradmagic.views.widget import CellText

    cell = CellText(cell_id=cell_id, text=raw, header=header, placeholders=placeholders, verified=verified)

    transformed = shell.transform_cell(body)
    padded = "\n" * placeholders + transformed
    try:
        ast.parse(body)
        source = "\n" * placeholders + body
    except SyntaxError:
        source = padded
    # named after the padded body, not the raw cell: the raw cell's name is the outer cell's own
    filename = shell.compile.cache(padded, cell_number(shell), raw_code=padded)
    tree = shell.compile.ast_parse(padded, filename=filename)
    tree = shell.transform_ast(tree)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not body.rstrip().endswith(";"):
        last = shell.compile(ast.Expression(tree.body.pop().value), filename, "eval")
    code = shell.compile(tree, filename, "exec")
    return PreparedCell(cell, source, filename, code, last)


class _LiveView:
    """The panel shown while ``fit`` runs: it appears with the first recorded steps, then follows them.

    The recorder (``evidence/recorder.py``) emits ``("epoch" | "progress", point)`` through the
    session's listeners, a point being ``{"fit", "step", "loss", "grad_norm", ...}``; at the end
    of each fit the session emits ``("fit_end", evidence)``.
    """

    def __init__(self, session: CheckSession, cell: CellText, enabled: bool) -> None:
        self.session = session
        self.cell = cell
        self.enabled = enabled
        self.panel = None
        self.points: dict[str, list] = {"steps": [], "loss": [], "grad_norm": []}
        self._fit: Any = None
        self._last = 0.0

    def __call__(self, event: str, payload: Any) -> None:
        if not self.enabled:
            return
        point = payload if event in ("epoch", "progress") and isinstance(payload, dict) \
            and isinstance(payload.get("step"), int) else None
        if point is None and event != "fit_end":
            return
        if point is not None:
            self._add(point)
        now = time.monotonic()
        if self.panel is None:
            if point is None:
                return
            from gradmagic.views.widget import DiagnosisPanel

            self.panel = DiagnosisPanel(cell=self.cell)
            self.panel.show(self.session.report, running=True)
            display(self.panel)
        elif point is not None and event == "progress" and now - self._last < LIVE_INTERVAL_S:
            return
        self._last = now
        if point is not None:
            self.panel.show_training(self.points, self.session.report.findings)
        else:
            self.panel.show(self.session.report, running=True)

    def _add(self, point: dict[str, Any]) -> None:
        if point.get("fit") != self._fit:
            self._fit = point.get("fit")
            self.points = {"steps": [], "loss": [], "grad_norm": []}
        if self.points["steps"] and point["step"] <= self.points["steps"][-1]:
            return
        for key in ("loss", "grad_norm"):
            self.points[key].append(point.get(key))
        self.points["steps"].append(point["step"])


def present(report: Report, cell: CellText, *, quiet: bool = False, failed: bool = False, panel: Any = None,
            note_without_fit: bool = True) -> None:
    """Display the panel and the record for ``report`` (or the short note when no fit ran)."""
    from gradmagic.views.record import record_bundle
    from gradmagic.views.widget import DiagnosisPanel

    if not report.fits:
        if note_without_fit and not quiet:
            display({"text/plain": NO_FIT_NOTE}, raw=True)
        return
    if quiet and not report.findings and not failed and not report.notices:
        return
    if panel is None:
        panel = DiagnosisPanel(report, cell)
        display(panel)
    else:
        panel.show(report)
    display(record_bundle(report), raw=True)


@magics_class
class GradcheckMagics(Magics):
    """``%%gradcheck`` and ``%gradcheck on|off``."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.auto = False
        self._hooked = False
        self._cell: tuple[CheckSession, str, int] | None = None  # the check of the cell running under `on`

    @magic_arguments()
    @argument("mode", nargs="?", choices=["on", "off"],
              help="line magic only: `%%gradcheck on` diagnoses every cell that raises a Keras error "
                   "gradmagic explains (e.g. 'No gradients provided for any variable'); `off` stops it.")
    @argument("--no-train", action="store_true",
              help="pre-flight checks and the one-batch gradient probe only; `fit` does not train "
                   "(it returns None).")
    @argument("--record-every", type=int, metavar="N", default=None,
              help="read the training statistics back every N steps (default: the recorder's own).")
    @argument("--quiet", action="store_true", help="show nothing when the check finds no problem.")
    @argument("--json", metavar="PATH", default=None, help="also write the JSON report to PATH.")
    @argument("-h", "--help", action="store_true", help="show this help and do not run the cell.")
    @line_cell_magic
    def gradcheck(self, line: str, cell: str | None = None) -> Any:
        """Check every Keras ``fit`` in the cell and show what is wrong, where, and how to fix it.

        ``%%gradcheck [--no-train] [--record-every N] [--quiet] [--json PATH]`` on the first line
        of a cell; ``%gradcheck on|off`` on its own line.
        """
        __tracebackhide__ = True
        args = self._arguments(line, cell)
        if args.help:
            print(self.gradcheck.parser.format_help())
            return None
        if cell is None:
            return self._switch(args.mode)
        if args.mode:
            from IPython.core.error import UsageError

            raise UsageError("`on`/`off` belong to the line magic `%gradcheck`, not to `%%gradcheck`")
        return self._run_cell(args, line, cell)

    def _arguments(self, line: str, cell: str | None) -> Any:
        """The parsed options. For a cell, a bad option is one line on stderr and the cell runs
        checked with the default options; ``%gradcheck`` alone raises IPython's UsageError."""
        from IPython.core.error import UsageError

        try:
            args = parse_argstring(self.gradcheck, line)
            if args.record_every is not None and args.record_every < 1:
                raise UsageError(f"argument --record-every: must be at least 1, not {args.record_every}")
        except UsageError as error:
            if cell is None:
                raise
            _notice(f"ignored the options `{line.strip()}` ({error}); the cell runs with the default check")
            args = parse_argstring(self.gradcheck, "")
        return args

    # -- %%gradcheck ----------------------------------------------------------------------

    def _run_cell(self, args: Any, line: str, cell: str) -> Any:
        __tracebackhide__ = True
        try:
            prepared = prepare_cell(self.shell, line, cell)
        except SyntaxError as error:
            raise error.with_traceback(None) from None  # the cell's own error, without our frames below
        except Exception as broken:  # noqa: BLE001 - gradmagic broke: run the cell plainly
            _notice(f"could not prepare this cell ({type(broken).__name__}: {broken}); it ran unchecked")
            shell = self.shell
            exec(compile(shell.transform_cell(cell), "<gradcheck-cell>", "exec"), shell.user_global_ns, shell.user_ns)
            return None
        options: dict[str, Any] = {}
        if args.record_every:
            options["record_interval"] = args.record_every  # the recorder's key (evidence/recorder.py)
        session = live = None
        try:
            session = _check(prepared.source, prepared.filename, reraise=True, train=not args.no_train,
                            options=options)
            live = _LiveView(session, prepared.cell, enabled=not args.quiet)
            session.listeners.append(live)
            session.__enter__()
        except Exception as error:  # noqa: BLE001 - gradmagic broke: run the cell plainly
            _notice(f"could not instrument this cell ({type(error).__name__}: {error}); it ran unchecked")
            session = None
        error: BaseException | None = None
        value = None
        try:
            value = self._execute(prepared)
        except (Exception, KeyboardInterrupt) as raised:  # noqa: BLE001 - the cell's own error, re-raised below
            error = raised
        finally:
            if session is not None:
                try:
                    session.__exit__(None, None, None)
                except Exception as broken:  # noqa: BLE001
                    _notice(f"could not restore Keras after the check ({type(broken).__name__}: {broken})")
        if session is not None:
            self._report(session.report, prepared, args, live, error)
        if error is not None:
            error._gradmagic_diagnosed = True  # type: ignore[union-attr] - seen by %gradcheck on
            raise error
        return value

    def _execute(self, prepared: PreparedCell) -> Any:
        __tracebackhide__ = True
        shell = self.shell
        exec(prepared.code, shell.user_global_ns, shell.user_ns)
        if prepared.last is not None:
            return eval(prepared.last, shell.user_global_ns, shell.user_ns)
        return None

    def _report(self, report: Report, prepared: PreparedCell, args: Any, live: _LiveView | None,
                error: BaseException | None) -> None:
        try:
            report.cell_id = prepared.cell.cell_id
            report.filename = f"In[{cell_number(self.shell)}]"
            if args.json:
                Path(args.json).write_text(report.to_json(indent=2))
            present(report, prepared.cell, quiet=args.quiet, failed=error is not None,
                    panel=live.panel if live else None)
        except Exception as broken:  # noqa: BLE001 - never a gradmagic traceback
            _notice(f"could not show the diagnosis ({type(broken).__name__}: {broken})")

    # -- %gradcheck on|off ----------------------------------------------------------------
    #
    # While `on`, every cell runs under a check (started before the cell, closed after it):
    # each `fit` is captured as it runs (model, compile settings, the first batch, the
    # exception). A cell that raises an error gradmagic explains is diagnosed from what its
    # fits left; the cell is never run again.

    def _switch(self, mode: str | None) -> None:
        if mode == "on":
            types = tuple(dict.fromkeys(kind for kind, _ in EXPLAINED_ERRORS))
            self.shell.set_custom_exc(types, self._handler())
            if not self._hooked:
                self.shell.events.register("pre_run_cell", self._before_cell)
                self.shell.events.register("post_run_cell", self._after_cell)
                self._hooked = True
            self.auto = True
            print("gradmagic: cells that raise a Keras error gradmagic explains are now diagnosed")
        elif mode == "off":
            if self.auto:
                self.shell.set_custom_exc((), None)
            self.auto = False
            self._close_cell_session()
            print("gradmagic: automatic diagnosis is off")
        else:
            print(f"gradmagic: automatic diagnosis is {'on' if self.auto else 'off'} (`%gradcheck on|off`)")

    def _before_cell(self, info: Any = None) -> None:
        """``pre_run_cell``: capture every fit of the cell about to run, under the filename
        IPython will compile it under (so the report's lines are the cell's lines)."""
        self._close_cell_session()
        if not self.auto:
            return
        shell = self.shell
        raw = getattr(info, "raw_cell", None)
        if not isinstance(raw, str) or not raw.strip() or re.match(r"\s*%%gradcheck\b", raw):
            return  # a %%gradcheck cell diagnoses itself
        try:
            transformed = shell.transform_cell(raw)
            try:
                ast.parse(raw)
                source = raw
            except SyntaxError:
                source = transformed
            # IPython counts a stored cell before `pre_run_cell` and compiles it under the old count
            number = shell.execution_count - (1 if getattr(info, "store_history", False) else 0)
            filename = shell.compile.get_code_name(raw, transformed, number)
            session = _check(source, filename, reraise=True)
            session.__enter__()
        except Exception as broken:  # noqa: BLE001 - the cell runs unchecked
            _notice(f"could not instrument this cell ({type(broken).__name__}: {broken}); it runs unchecked")
            return
        self._cell = (session, raw, number)

    def _after_cell(self, result: Any = None) -> None:
        self._close_cell_session()

    def _close_cell_session(self) -> tuple[CheckSession, str, int] | None:
        held, self._cell = self._cell, None
        if held is not None:
            try:
                held[0].__exit__(None, None, None)
            except Exception as broken:  # noqa: BLE001
                _notice(f"could not restore Keras after the check ({type(broken).__name__}: {broken})")
        return held

    def _handler(self):
        magics = self

        def handler(shell, etype, value, tb, tb_offset=None):
            if is_explained(value) and not getattr(value, "_gradmagic_diagnosed", False):
                try:
                    magics.diagnose_failure(value, tb)
                except Exception as broken:  # noqa: BLE001 - the user's traceback still follows
                    _notice(f"could not diagnose this error ({type(broken).__name__}: {broken})")
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return None

        return handler

    def diagnose_failure(self, error: BaseException, tb: TracebackType | None) -> Report | None:
        """Show the panel for the failing cell, built from what its fits left while it ran."""
        held = self._close_cell_session()
        if held is None:
            return None
        session, raw, number = held
        report = session.report
        if not report.fits:
            return None  # the error came before any fit: nothing was captured to explain it
        cell_id, _ = _current_request(self.shell)
        report.cell_id = cell_id
        report.filename = f"In[{number}]"
        from gradmagic.views.widget import CellText

        present(report, CellText(cell_id=cell_id, text=raw), failed=True, note_without_fit=False)
        return report


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext gradmagic``: register ``%%gradcheck`` and ``%gradcheck``."""
    ipython.register_magics(GradcheckMagics)
