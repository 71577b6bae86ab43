"""What the GM1xx/GM2xx rules share: reading the pre-flight, wording numbers, common fixes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from gradmagic.evidence.preflight import ArrayStats, OutputCheck, Preflight
from gradmagic.fixes import make_fix
from gradmagic.report.model import Fix
from gradmagic.rules import _preflight_edits as edits
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

    def loss_line(self, head: OutputCheck) -> int | None:
        return edits.loss_line(self.ctx.source.tree, self.ctx.fit.line, head, self.head_count)

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
        import ast

        try:
            tree = ast.parse(source)
        except SyntaxError:
            return None
        return edits.set_head_loss(source, tree, self.ctx.fit.line, head, self.head_count, code)

    def set_from_logits(self, source: str | None, head: OutputCheck, value: bool) -> str | None:
        if source is None:
            return None
        import ast

        return edits.set_from_logits(source, ast.parse(source), self.ctx.fit.line, head, self.head_count, value)

    def set_activation(self, source: str | None, head: OutputCheck, activation: str | None) -> str | None:
        if source is None:
            return None
        return edits.set_activation(source, self.layers, head.activation_layer or head.units_layer, activation)

    def set_units(self, source: str | None, head: OutputCheck, units: int) -> str | None:
        if source is None:
            return None
        return edits.set_units(source, self.layers, head.units_layer, units)

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
