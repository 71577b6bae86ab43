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
import builtins
import math
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

from gradmagic.core.tracebacks import strip_gradmagic_frames, without_gradmagic_frames
from gradmagic.core.errors import describe_error
from gradmagic.report.model import Report

if TYPE_CHECKING:
    from gradmagic.pipeline.session import CheckSession
    from gradmagic.views.widget import CellText

_HEADER = re.compile(r"^[ \t]*%%gradcheck\b.*(?:\n|$)", re.M)
NO_FIT_NOTE = "gradmagic: no `fit` call ran in this cell, so there was nothing to check"
LIVE_INTERVAL_S = 0.5  # at most two live updates a second
# the live series and what the recorder calls them in a point's "nonfinite" list
LIVE_SERIES = {"loss": "loss", "grad_norm": "gradient"}
LIVE_POINTS = 256  # live points kept per fit

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
        from gradmagic.pipeline import session

        return getattr(session, name)
    if name == "CellText":
        from gradmagic.views.widget import CellText

        return CellText
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check(*args: Any, **kwargs: Any) -> CheckSession:
    """``gradmagic.pipeline.session.check``, or whatever replaced ``gradmagic.magics.check``."""
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


def _start_session(args: Any, source: str, filename: str, cell: CellText,
                   tense: str) -> tuple[CheckSession | None, _LiveView | None]:
    """The entered check of a ``%%gradcheck`` cell and its live panel; ``(None, None)`` (and a
    one-line notice) when gradmagic cannot instrument it, the cell then running unchecked."""
    options: dict[str, Any] = {}
    if args.record_every:
        options["record_interval"] = args.record_every  # the recorder's key (evidence/recorder.py)
    try:
        session = _check(source, filename, reraise=True, train=not args.no_train, options=options)
        live = _LiveView(session, cell, enabled=not args.quiet)
        session.listeners.append(live)
        session.__enter__()
    except Exception as error:  # noqa: BLE001 - gradmagic broke: run the cell plainly
        _notice(f"could not instrument this cell ({describe_error(error)}); it {tense} unchecked")
        return None, None
    try:
        live.start(source)
    except Exception as error:  # noqa: BLE001 - the panel then appears with the first recorded steps
        _notice(f"could not show the panel before the cell's output ({describe_error(error)})")
    return session, live


def writes_fit(source: str) -> bool:
    """Whether the cell calls a ``fit`` itself (``model.fit(...)``, ``fit_generator``), by its text."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.search(r"\.fit(?:_generator)?\s*\(", source) is not None
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr in ("fit", "fit_generator") for node in ast.walk(tree))


# -- %%gradcheck as plain code ----------------------------------------------------------------
#
# A `%%gradcheck` cell is not run through the cell magic: an input transformer (IPython's cleanup
# stage) turns its first line into a blank line, so IPython compiles and runs the user's code
# itself, under the cell's own line numbers, and its traceback is the one IPython would show
# without gradmagic. The check starts in `pre_run_cell`; an AST transformer wraps the cell's last
# expression (its value is shown after the diagnosis, as before) and, while the cell runs, a
# custom exception handler shows the diagnosis before the cell's own traceback; `post_run_cell`
# finishes whatever is left. `run_cell_magic("gradcheck", ...)` called directly still works
# through the magic.

_FIRST_LINE = re.compile(r"%%gradcheck(?:[ \t]+(?P<options>[^\n]*))?[ \t]*\r?\n?$")
_END_NAME = "__gradmagic_cell_end__"  # a builtin while a %%gradcheck cell runs


def magic_options(first_line: str) -> str | None:
    """The options of a ``%%gradcheck`` first line that runs as plain code; None for any other line,
    and for ``--help`` and ``on|off`` (those stay with the magic: help, or IPython's UsageError)."""
    match = _FIRST_LINE.match(first_line)
    if match is None:
        return None
    options = match.group("options") or ""
    from IPython.core.error import UsageError

    try:
        args = parse_argstring(GradcheckMagics.gradcheck, options)
    except UsageError:
        return options  # one notice when the cell runs, then the default check
    except Exception:  # noqa: BLE001 - leave it to the magic
        return None
    return None if args.help or args.mode else options


def plain_cell(lines: list[str]) -> list[str]:
    """``input_transformers_cleanup``: a ``%%gradcheck`` first line becomes a blank line."""
    if lines and magic_options(lines[0]) is not None:
        return ["\n", *lines[1:]]
    return lines


plain_cell.has_side_effects = True  # `check_complete` still sees a cell magic (a blank line ends it)


def _cell_header(raw: str) -> tuple[str, str] | None:
    """``(header, options)`` of a raw cell whose first non-blank line is a plain-code ``%%gradcheck``."""
    match = re.match(r"(?:[ \t]*\r?\n)*[ \t]*(%%gradcheck\b[^\n]*)(?:\n|$)", raw)
    if match is None:
        return None
    options = magic_options(match.group(1))
    return None if options is None else (raw[:match.end()], options)


@dataclass
class _MagicCell:
    """The check of the ``%%gradcheck`` cell running now (started in ``pre_run_cell``)."""

    info: Any
    args: Any
    cell: CellText
    filename: str
    session: CheckSession | None
    live: _LiveView | None
    armed: bool = False
    done: bool = False
    saved_exc: tuple[Any, Any] | None = None


class _ArmCell:
    """The AST transformer: arms the running ``%%gradcheck`` cell once its code parsed."""

    def __init__(self, magics: GradcheckMagics) -> None:
        self.magics = magics

    def visit(self, node: ast.AST) -> ast.AST:
        return self.magics._arm(node)


class _LiveView:
    """The panel shown while ``fit`` runs: it appears with the first recorded steps, then follows them.

    The recorder (``evidence/recorder.py``) emits ``("epoch" | "progress", point)`` through the
    session's listeners, a point being ``{"fit", "step", "loss", "grad_norm", ...}``; at the end
    of each fit the session emits ``("fit_end", evidence)``.

    The traffic is bounded: at most one update every ``LIVE_INTERVAL_S`` (the points gathered
    meanwhile wait for it), each carrying only the points the frontend does not have yet
    (``DiagnosisPanel.send_points``), and at most ``LIVE_POINTS`` points per fit (every other
    point is dropped when there are more, the newest always kept; the frontend then gets them
    all again, once). The
    panel's ``training`` state is set from the recorder's bounded history when a fit ends.
    """

    def __init__(self, session: CheckSession, cell: CellText, enabled: bool) -> None:
        self.session = session
        self.cell = cell
        self.enabled = enabled
        self.panel = None
        self.handle: Any = None  # the panel's display, when shown before the cell's output (``start``)
        self.points: dict[str, list] = {"steps": [], "loss": [], "grad_norm": []}
        self._fit: Any = None
        self._last = 0.0
        self._sent = 0  # how many of ``points`` the frontend has, unchanged since
        self._seen = 0
        self._numbers: list[int] = []
        self._stride = 1

    def start(self, source: str) -> None:
        """Show the panel ("running") before the cell prints anything, when the cell writes a ``fit``
        call: Keras's progress bar then stays whole below it. Otherwise the panel appears with the
        first recorded steps (a ``fit`` inside a helper function)."""
        if not self.enabled or self.panel is not None or not writes_fit(source):
            return
        from gradmagic.views.widget import DiagnosisPanel

        panel = DiagnosisPanel(cell=self.cell)
        panel.show(self.session.report, running=True)
        self.handle = display(panel, display_id=True)
        self.panel = panel

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
        elif point is not None and now - self._last < LIVE_INTERVAL_S:
            return  # the points wait for the next update
        self._last = now
        if point is not None:
            self.panel.send_points(self._fit, self.points, self._sent, self.session.report.findings)
            self._sent = len(self.points["steps"])
        else:
            self.panel.show(self.session.report, running=True)  # the fit's history replaces its points
            self._sent = 0

    def _add(self, point: dict[str, Any]) -> None:
        """Keep every ``stride``-th point (the stride doubles when more than ``LIVE_POINTS`` are
        kept) and the newest one, so the live chart stays evenly sampled and ends at the last step."""
        if point.get("fit") != self._fit:
            self._fit = point.get("fit")
            self.points = {"steps": [], "loss": [], "grad_norm": []}
            self._sent = 0
            self._seen = 0  # points received in this fit
            self._numbers: list[int] = []  # the received number of each point kept
            self._stride = 1
        if self.points["steps"] and point["step"] <= self.points["steps"][-1]:
            return
        number, self._seen = self._seen, self._seen + 1
        if self._numbers and self._numbers[-1] % self._stride:  # the newest point, off the stride: replace it
            for values in self.points.values():
                values.pop()
            self._numbers.pop()
        self._sent = min(self._sent, len(self._numbers))
        for key, kind in LIVE_SERIES.items():
            value = point.get(key)
            if value is None and kind in (point.get("nonfinite") or ()):
                value = math.nan  # the recorder sends a NaN/Inf value as None and names what turned non-finite
            self.points[key].append(value)
        self.points["steps"].append(point["step"])
        self._numbers.append(number)
        while sum(1 for n in self._numbers if n % self._stride == 0) > LIVE_POINTS:
            self._stride *= 2
            keep = [i for i, n in enumerate(self._numbers) if n % self._stride == 0 or i == len(self._numbers) - 1]
            self.points = {key: [values[i] for i in keep] for key, values in self.points.items()}
            self._numbers = [self._numbers[i] for i in keep]
            self._sent = 0  # the frontend gets the thinned points again, once


def present(report: Report, cell: CellText, *, quiet: bool = False, failed: bool = False, panel: Any = None,
            note_without_fit: bool = True, handle: Any = None) -> None:
    """Display the panel and the record for ``report`` (or the short note when no fit ran).

    ``handle``: the display of ``panel`` when it was shown before the cell ran; with no fit,
    the note replaces it (the panel is closed)."""
    from gradmagic.views.record import record_bundle
    from gradmagic.views.widget import DiagnosisPanel, saved_panel

    if not report.fits:
        if panel is not None and handle is not None:
            handle.update({"text/plain": NO_FIT_NOTE if note_without_fit and not quiet else ""}, raw=True)
            panel.close()
        elif note_without_fit and not quiet:
            display({"text/plain": NO_FIT_NOTE}, raw=True)
        return
    if quiet and not report.findings and not failed and not report.notices:
        return
    if panel is None:
        panel = DiagnosisPanel(report, cell)
        display(panel)
    else:
        panel.show(report)
    display(record_bundle(report), raw=True, metadata=saved_panel(report, cell))


@magics_class
class GradcheckMagics(Magics):
    """``%%gradcheck`` and ``%gradcheck on|off``."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.auto = False
        self._hooked = False
        self._cell: tuple[CheckSession, str, int] | None = None  # the check of the cell running under `on`
        self._magic: _MagicCell | None = None  # the `%%gradcheck` cell running as plain code

    def install(self) -> None:
        """Run ``%%gradcheck`` cells as plain code (see ``plain_cell``) and hook the cell events."""
        shell = self.shell
        if plain_cell not in shell.input_transformers_cleanup:
            shell.input_transformers_cleanup.append(plain_cell)  # after IPython's own cleanup
        shell.ast_transformers.append(_ArmCell(self))
        if not self._hooked:
            shell.events.register("pre_run_cell", self._before_cell)
            shell.events.register("post_run_cell", self._after_cell)
            self._hooked = True

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
            _notice(f"could not prepare this cell ({describe_error(broken)}); it ran unchecked")
            shell = self.shell
            exec(compile(shell.transform_cell(cell), "<gradcheck-cell>", "exec"), shell.user_global_ns, shell.user_ns)
            return None
        session, live = _start_session(args, prepared.source, prepared.filename, prepared.cell, "ran")
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
                    _notice(f"could not restore Keras after the check ({describe_error(broken)})")
        if session is not None:
            self._report(session.report, prepared.cell, f"In[{cell_number(self.shell)}]", args, live, error)
        if error is not None:
            error._gradmagic_diagnosed = True  # type: ignore[union-attr] - seen by %gradcheck on
            raise error.with_traceback(without_gradmagic_frames(error.__traceback__))
        return value

    def _execute(self, prepared: PreparedCell) -> Any:
        __tracebackhide__ = True
        shell = self.shell
        exec(prepared.code, shell.user_global_ns, shell.user_ns)
        if prepared.last is not None:
            return eval(prepared.last, shell.user_global_ns, shell.user_ns)
        return None

    def _report(self, report: Report, cell: CellText, filename: str, args: Any, live: _LiveView | None,
                error: BaseException | None) -> None:
        try:
            report.cell_id = cell.cell_id
            report.filename = filename
            if args.json:
                Path(args.json).write_text(report.to_json(indent=2))
            present(report, cell, quiet=args.quiet, failed=error is not None,
                    panel=live.panel if live else None, handle=live.handle if live else None)
        except Exception as broken:  # noqa: BLE001 - never a gradmagic traceback
            _notice(f"could not show the diagnosis ({describe_error(broken)})")

    # -- %gradcheck on|off ----------------------------------------------------------------
    #
    # While `on`, every cell runs under a check (started before the cell, closed after it):
    # each `fit` is captured as it runs (model, compile settings, the first batch, the
    # exception). A cell that raises an error gradmagic explains is diagnosed from what its
    # fits left; the cell is never run again.

    def _switch(self, mode: str | None) -> None:
        if mode == "on":
            # every error: its traceback is shown without gradmagic's frames; explained ones are diagnosed
            self.shell.set_custom_exc((Exception, KeyboardInterrupt), self._handler())
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
        if self._magic is not None and not self._magic.done:
            return  # a cell run from inside a running %%gradcheck cell: it runs under that check
        self._magic = None
        self._close_cell_session()
        if self._begin_magic_cell(info):
            return
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
            _notice(f"could not instrument this cell ({describe_error(broken)}); it runs unchecked")
            return
        self._cell = (session, raw, number)

    def _after_cell(self, result: Any = None) -> None:
        magic = self._magic
        if magic is not None and (magic.done or getattr(result, "info", None) is magic.info):
            self._end_magic_cell(getattr(result, "error_in_exec", None))
        if magic is None or self._magic is None:
            self._close_cell_session()

    # -- %%gradcheck cells run as plain code ------------------------------------------------

    def _begin_magic_cell(self, info: Any) -> bool:
        """Start the check of a ``%%gradcheck`` cell that ``plain_cell`` turned into plain code."""
        shell = self.shell
        raw = getattr(info, "raw_cell", None)
        found = _cell_header(raw) if isinstance(raw, str) else None
        if found is None:
            return False
        header, options = found
        transformed = getattr(info, "transformed_cell", None)
        try:
            if not isinstance(transformed, str):
                transformed = shell.transform_cell(raw)
        except Exception:  # noqa: BLE001 - IPython shows the cell's own error
            return True
        if "run_cell_magic('gradcheck'" in transformed:
            return False  # the magic runs it (the transformer is not installed)
        args = self._arguments(options, "")
        number = shell.execution_count - (1 if getattr(info, "store_history", False) else 0)
        body = raw[len(header):]
        try:
            ast.parse(body)
            source = "\n" + body
        except SyntaxError:
            source = transformed
        cell_id, requested = _current_request(shell)
        from gradmagic.views.widget import CellText

        cell = CellText(cell_id=cell_id, text=raw, header=header, placeholders=1,
                        verified=requested is not None and requested == raw)
        try:
            filename = shell.compile.get_code_name(raw, transformed, number)
        except Exception as broken:  # noqa: BLE001 - the cell runs unchecked
            _notice(f"could not instrument this cell ({describe_error(broken)}); it runs unchecked")
            return True
        session, live = _start_session(args, source, filename, cell, "runs")
        self._magic = _MagicCell(info, args, cell, f"In[{number}]", session, live)
        setattr(builtins, _END_NAME, self._cell_end)
        return True

    def _arm(self, node: ast.AST) -> ast.AST:
        """The running ``%%gradcheck`` cell parsed: show the diagnosis before its traceback or its value."""
        magic = self._magic
        if magic is None or magic.armed or magic.done or not isinstance(node, ast.Module):
            return node
        magic.armed = True
        shell = self.shell
        magic.saved_exc = (shell.custom_exceptions, shell.CustomTB)
        shell.set_custom_exc((Exception, KeyboardInterrupt), self._magic_handler())
        if magic.session is not None and node.body and isinstance(node.body[-1], ast.Expr):
            last = node.body[-1]
            call = ast.Call(func=ast.Name(id=_END_NAME, ctx=ast.Load()), args=[last.value], keywords=[])
            last.value = ast.copy_location(call, last.value)
            ast.fix_missing_locations(last)
        return node

    def _cell_end(self, value: Any = None) -> Any:
        """Called with the value of the cell's last expression: diagnose, then IPython shows the value."""
        self._finish_magic_cell(None)
        return value

    def _magic_handler(self):
        magics = self

        def handler(shell, etype, value, tb, tb_offset=None):
            magic = magics._magic
            if magic is not None and not magic.done:
                magics._finish_magic_cell(value)
                try:
                    value._gradmagic_diagnosed = True  # seen by %gradcheck on
                except Exception:  # noqa: BLE001
                    pass
            strip_gradmagic_frames(value)
            shell.showtraceback((etype, value, without_gradmagic_frames(tb)), tb_offset=tb_offset,
                                running_compiled_code=True)
            return None

        return handler

    def _finish_magic_cell(self, error: BaseException | None) -> None:
        """Close the check of the running ``%%gradcheck`` cell and show its diagnosis (once)."""
        magic = self._magic
        if magic is None or magic.done:
            return
        magic.done = True
        session = magic.session
        if session is None:
            return
        try:
            session.__exit__(None, None, None)
        except Exception as broken:  # noqa: BLE001
            _notice(f"could not restore Keras after the check ({describe_error(broken)})")
        if magic.armed:  # the cell ran (a syntax error stops it before): show what its fits left
            self._report(session.report, magic.cell, magic.filename, magic.args, magic.live, error)

    def _end_magic_cell(self, error: BaseException | None) -> None:
        magic = self._magic
        if magic is None:
            return
        try:
            self._finish_magic_cell(error)
        finally:
            self._magic = None
            if getattr(builtins, _END_NAME, None) == self._cell_end:
                delattr(builtins, _END_NAME)
            if magic.saved_exc is not None:
                self.shell.custom_exceptions, self.shell.CustomTB = magic.saved_exc

    def _close_cell_session(self) -> tuple[CheckSession, str, int] | None:
        held, self._cell = self._cell, None
        if held is not None:
            try:
                held[0].__exit__(None, None, None)
            except Exception as broken:  # noqa: BLE001
                _notice(f"could not restore Keras after the check ({describe_error(broken)})")
        return held

    def _handler(self):
        magics = self

        def handler(shell, etype, value, tb, tb_offset=None):
            if is_explained(value) and not getattr(value, "_gradmagic_diagnosed", False):
                try:
                    magics.diagnose_failure(value, tb)
                except Exception as broken:  # noqa: BLE001 - the user's traceback still follows
                    _notice(f"could not diagnose this error ({describe_error(broken)})")
            strip_gradmagic_frames(value)
            shell.showtraceback((etype, value, without_gradmagic_frames(tb)), tb_offset=tb_offset,
                                running_compiled_code=True)
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
    magics = GradcheckMagics(ipython)
    ipython.register_magics(magics)
    magics.install()
