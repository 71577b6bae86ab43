"""What the GM1xx/GM2xx rules share: reading the pre-flight, wording numbers, common fixes."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from gradmagic.evidence.data_origin import last_assignment
from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.evidence.facts.preflight import ArrayStats, OutputCheck, Preflight
from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes import data as data_edit
from gradmagic.fixes import layers as layer_edit
from gradmagic.fixes import losses as loss_edit
from gradmagic.fixes import make_fix
from gradmagic.fixes.layers import LayerCall
from gradmagic.fixes.losses import HeadLoss
from gradmagic.report.model import Fix
from gradmagic.rules._shared import layer_call
from gradmagic.rules.base import RuleContext

PROBABILISTIC = ("categorical", "sparse", "binary")


def preflight_of(ctx: RuleContext) -> Preflight | None:
    found = ctx.fit.preflight
    return found if isinstance(found, Preflight) else None


def heads(ctx: RuleContext) -> Iterator[OutputCheck]:
    """Output heads whose loss is known (compiled, no custom ``train_step``)."""
    preflight = preflight_of(ctx)
    if preflight is None:
        return
    for head in preflight.outputs:
        if head.loss.family != "none":
            yield head


def num(value: float | int | None) -> str:
    """A number as a person writes it: ``255``, ``127.4``, ``251,340``, ``0.0312``."""
    if value is None:
        return "?"
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) < 5e-7:
        return "0"
    if abs(value - round(value)) < 5e-7 * max(1.0, abs(value)) and abs(value) < 1e15:
        value = float(round(value))
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}"


def value_range(stats: ArrayStats) -> str:
    return f"{num(stats.min)}..{num(stats.max)}"


def name_of(stats: ArrayStats) -> str:
    """How the array reads in the source (``x_train``), else its fit argument (``x``)."""
    if stats.origin is not None and stats.origin.expression:
        return stats.origin.expression
    return stats.argument


def loss_spelling(head: OutputCheck) -> str:
    loss = head.loss
    text = loss.name or loss.spelled
    return f"{text}(from_logits=True)" if loss.from_logits and loss.form == "object" else text


def head_label(head: OutputCheck, count: int) -> str:
    """`` of output `label``` when the model has several outputs, else empty."""
    return f" of output `{head.key}`" if count > 1 else ""


def shapes_disagree(head: OutputCheck) -> bool:
    """True when the targets and this output cannot be compared under this head's loss.

    Leaves to GM105 the mismatches that are an encoding question (class ids against a
    categorical/binary loss, one-hot against a sparse loss) and to GM103 a one-unit head.
    """
    family = head.loss.family
    relation = head.relation
    if relation is None or family in ("custom", "none"):
        return False
    if family == "sparse":
        if relation in ("ids", "ids-column"):
            return False
        if relation in ("same", "expand", "squeeze"):
            return False  # a one-hot table (GM105) or a one-unit head (GM103)
        return True
    if relation in ("same", "expand", "squeeze"):
        return False
    ids = relation in ("ids", "ids-column") and head.target_kind in ("integer", "binary") and (head.units or 0) > 1
    many = head.targets is not None and (head.targets.max or 0) > 1
    if ids and (family == "categorical" or (family == "binary" and many)):
        return False  # integer class ids with a categorical/binary loss: GM105
    return True


@dataclass
class Editor:
    """The source and the model a rule's fixes edit.

    Layer edits find the layer by its line in the original source, so a fix applies them
    before any edit that adds or removes lines (a loss object needing ``import keras``).
    """

    ctx: RuleContext

    @property
    def source(self) -> str:
        return self.ctx.source.text

    @property
    def layers(self):
        return self.ctx.fit.model_info.layers

    @property
    def head_count(self) -> int:
        preflight = preflight_of(self.ctx)
        return len(preflight.outputs) if preflight else 1

    def head_loss(self, head: OutputCheck) -> HeadLoss:
        """Which loss of ``compile`` is this head's."""
        return HeadLoss(self.ctx.fit.line, head.index, (head.key, head.layer), self.head_count)

    def layer_call(self, layer: LayerInfo | None) -> LayerCall | None:
        """Where the source makes ``layer``."""
        return layer_call(self.layers, layer)

    def loss_line(self, head: OutputCheck) -> int | None:
        return loss_edit.loss_line(self.ctx.source.tree, self.head_loss(head))

    def head_line(self, head: OutputCheck) -> int | None:
        layer = head.units_layer or head.activation_layer
        return layer.line if layer else None

    def activation_line(self, head: OutputCheck) -> int | None:
        """The line of the layer that applies the output activation (an ``Activation`` after ``Dense``)."""
        layer = head.activation_layer or head.units_layer
        return layer.line if layer else None

    def set_loss(self, source: str | None, head: OutputCheck, code: str) -> str | None:
        if source is None:
            return None
        return loss_edit.set_head_loss(source, self.head_loss(head), code)

    def set_from_logits(self, source: str | None, head: OutputCheck, value: bool) -> str | None:
        if source is None:
            return None
        return loss_edit.set_from_logits(source, self.head_loss(head), value, head.loss.name,
                                         self._loss_object_line(source, head))

    def _loss_object_line(self, source: str, head: OutputCheck) -> int | None:
        """The line that builds the loss object compile names (``loss=loss_fn``), when it is a call."""
        tree = cst_edit.syntax_tree(source)
        expression = loss_edit.loss_expression(tree, self.head_loss(head))
        if tree is None or not isinstance(expression, ast.Name):
            return None
        statement = last_assignment(tree, self.ctx.fit.line or expression.lineno, expression.id)
        return statement.lineno if isinstance(getattr(statement, "value", None), ast.Call) else None

    def set_activation(self, source: str | None, head: OutputCheck, activation: str | None) -> str | None:
        if source is None:
            return None
        return layer_edit.set_activation(source, self.layer_call(head.activation_layer or head.units_layer),
                                         activation)

    def set_units(self, source: str | None, head: OutputCheck, units: int) -> str | None:
        if source is None:
            return None
        return layer_edit.set_size(source, self.layer_call(head.units_layer), units)

    def fix(self, fix_id: str, title: str, after: str | None, reason: str, safety: str = "review") -> Fix | None:
        return make_fix(fix_id, title, safety, self.source, after, reason)


def sigmoid_bce_fix(editor: Editor, head: OutputCheck) -> Fix | None:
    """One unit with sigmoid and binary cross-entropy: the two-class head that works."""
    patched = editor.set_activation(editor.source, head, "sigmoid")
    patched = editor.set_loss(patched, head, '"binary_crossentropy"')
    return editor.fix("sigmoid-binary-crossentropy", 'use `activation="sigmoid"` with `loss="binary_crossentropy"`',
                      patched, "one sigmoid unit gives P(class 1); binary cross-entropy trains it for 0/1 targets")


def softmax_units_fix(editor: Editor, head: OutputCheck, units: int, loss: str | None) -> Fix | None:
    """``units`` softmax units, optionally with a new loss (code)."""
    patched = editor.set_units(editor.source, head, units)
    patched = editor.set_activation(patched, head, "softmax")
    if loss is not None:
        patched = editor.set_loss(patched, head, loss)
    loss_text = f" and `loss={loss}`" if loss else ""
    return editor.fix("softmax-units", f'use {units} units with `activation="softmax"`{loss_text}', patched,
                      f"one probability per class: softmax over {units} units sums to 1 and can rank the classes")


def ranked(*fixes: Fix | None) -> list[Fix]:
    """The fixes that could be made, in the given order, without duplicate patches."""
    found: list[Fix] = []
    for fix in fixes:
        if fix is not None and all(fix.patched_source != other.patched_source for other in found):
            found.append(fix)
    return found


# The values each output activation can produce.
ACTIVATION_RANGES = {
    "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0),
    "relu": (0.0, None), "relu6": (0.0, 6.0), "softplus": (0.0, None), "exponential": (0.0, None),
    "elu": (-1.0, None),
}


def reaches_targets(activation: str | None, targets: ArrayStats | None) -> bool:
    """Whether an output ``activation`` can produce every value of ``targets`` (True when unknown)."""
    bounds = ACTIVATION_RANGES.get(activation or "")
    if bounds is None or targets is None or targets.min is None or targets.max is None:
        return True
    low, high = bounds
    return (low is None or targets.min >= low) and (high is None or targets.max <= high)


# -- data lines ---------------------------------------------------------------------------------
SPREAD_CALLS = ("std", "var", "nanstd", "nanvar")


def plain_name(stats: ArrayStats) -> bool:
    """The array is passed to ``fit`` as a plain variable whose defining line is known."""
    origin = stats.origin
    return bool(origin and origin.editable)


def _spread_calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and
            (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) in SPREAD_CALLS]


def _divisors(statement: ast.stmt) -> list[ast.AST]:
    found: list[ast.AST] = []
    if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Div):
        found.append(statement.value)
    for node in ast.walk(statement):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            found.append(node.right)
    return found


def std_divisions(source: str, line: int | None) -> list[ast.expr]:
    """What the statement on ``line`` divides by that is a standard deviation: ``x.std(...)``/``np.std(...)``
    calls, or a name assigned from one earlier (``sd = x.std(0)`` ... ``(x - mu) / sd``)."""
    tree = cst_edit.syntax_tree(source) if line is not None else None
    statement = cst_edit.statement_at(tree, line) if tree is not None else None
    if statement is None:
        return []
    found: list[ast.expr] = []
    for divisor in _divisors(statement):
        calls = _spread_calls(divisor)
        if calls:
            found.extend(calls)
            continue
        for name in [n for n in ast.walk(divisor) if isinstance(n, ast.Name)]:
            assigned = last_assignment(tree, statement.lineno, name.id)
            if assigned is not None and _spread_calls(getattr(assigned, "value", ast.Pass())):
                found.append(name)
    return found


def is_standardisation(source: str, line: int | None) -> bool:
    return bool(std_divisions(source, line))


def guard_std_fix(editor: Editor, stats: ArrayStats) -> Fix | None:
    """Divide by ``np.maximum(std, 1e-8)`` so a constant column becomes 0 instead of NaN."""
    spans = [cst_edit.ast_span(node) for node in std_divisions(editor.source, stats.line)]
    return editor.fix("guard-zero-std", f"guard the division by the standard deviation on line {stats.line}",
                      data_edit.guard_divisors(editor.source, spans),
                      "a constant column then standardises to 0 instead of 0 / 0 = NaN")
