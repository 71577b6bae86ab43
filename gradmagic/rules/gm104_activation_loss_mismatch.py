"""GM104 activation-loss-mismatch: the output activation and the loss disagree about what the outputs are.

## What it does
Reads the activation that produces each output (the `activation=` of the last layer, or a
final `Activation`/`Softmax` layer) and the compiled loss with its `from_logits`, and fires on
pairings that do not fit:

- a cross-entropy loss with `from_logits=False` (the default) on an output that is not a
  probability (linear, ReLU, tanh): error;
- sigmoid units with categorical cross-entropy, which treats the classes as exclusive: warning;
- binary cross-entropy on a softmax over one-hot, exclusive classes: warning;
- `from_logits=True` on an output that already went through softmax/sigmoid: info.

## Why is this bad?
Keras clips non-probabilities into `[1e-7, 1 - 1e-7]` before taking the log: negative
outputs all cost the same, gradients vanish at the clip and training stalls or crawls.
None of these raise an error. Keras 3 (TensorFlow backend) computes cross-entropy from the
values *before* a final softmax/sigmoid whenever it can see them, so `from_logits=True` on a
softmax output trains correctly (Keras only warns), and sigmoid units under categorical
cross-entropy train as a softmax while `predict` returns sigmoids that do not sum to 1.

## Example
```python
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(10)])
model.compile(optimizer="adam", loss="categorical_crossentropy")
```

## Use instead
```python
keras.layers.Dense(10, activation="softmax")
# or keep the linear output and
model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
```

## Fix safety
`review`: adding an activation changes what `predict` returns; `from_logits=True` keeps
`predict` returning logits. Both train the same objective.
"""

from __future__ import annotations

from typing import Iterable

from gradmagic.evidence.facts.preflight import OutputCheck
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._preflight_common import (
    PROBABILISTIC,
    Editor,
    head_label,
    heads,
    loss_spelling,
    num,
    ranked,
    sigmoid_bce_fix,
)
from gradmagic.rules.base import Rule, RuleContext

PROBABILITIES = ("softmax", "sigmoid")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    editor = Editor(ctx)
    for head in heads(ctx):
        if head.loss.family not in PROBABILISTIC or head.activation is None:
            continue
        if head.units == 1 and head.activation == "softmax":
            continue  # a softmax over one unit is always 1.0: GM103 says it
        finding = (_not_probabilities(editor, head) or _logits_twice(editor, head)
                   or _sigmoid_exclusive(editor, head) or _softmax_binary(editor, head))
        if finding is not None:
            yield finding


def _observed(head: OutputCheck) -> str:
    if head.observed_min is None:
        return ""
    return f" (outputs range {num(head.observed_min)}..{num(head.observed_max)} on the first batch)"


def _evidence(head: OutputCheck, **extra) -> dict:
    return {"activation": head.activation, "loss": head.loss.name or head.loss.spelled,
            "from_logits": head.loss.from_logits, "output_units": head.units, "output_min": head.observed_min,
            "output_max": head.observed_max, "output": head.key, **extra}


def _layer(head: OutputCheck) -> str | None:
    layer = head.activation_layer or head.units_layer
    return layer.name if layer else head.layer


def _named(head: OutputCheck) -> str:
    layer = _layer(head)
    return f"`{layer}`" if layer else "the model"


def _not_probabilities(editor: Editor, head: OutputCheck) -> Finding | None:
    if head.loss.from_logits or head.activation in PROBABILITIES:
        return None
    wanted = "sigmoid" if head.loss.family == "binary" or head.units == 1 else "softmax"
    loss = loss_spelling(head)
    label = head_label(head, editor.head_count)
    fixes: list[Fix | None] = []
    if head.units == 1 and head.loss.family != "binary":
        fixes.append(sigmoid_bce_fix(editor, head))
    else:
        patched = editor.set_activation(editor.source, head, wanted)
        fixes.append(editor.fix("add-activation", f'add `activation="{wanted}"` to the output layer', patched,
                                f"`{loss}` expects probabilities, which {wanted} produces"))
        if head.activation == "linear" and head.loss.name:
            patched = editor.set_from_logits(editor.source, head, True)
            fixes.append(editor.fix("from-logits", "pass `from_logits=True` to the loss", patched,
                                    f"keeps the linear output and lets the loss apply {wanted} itself, "
                                    "which is also more stable numerically"))
    return RULE.finding(
        f"`{loss}` expects probabilities but the output{label} of {_named(head)} is {head.activation}"
        f"{_observed(head)}",
        line=editor.head_line(head),
        layer=_layer(head),
        evidence=_evidence(head),
        notes=["Keras clips the outputs into [1e-7, 1 - 1e-7] before the log: values outside [0, 1] "
               "all cost the same and give no gradient"],
        help=(f'add `activation="{wanted}"` to the output layer, or pass `from_logits=True` to the loss'
              if head.activation == "linear" else f'use `activation="{wanted}"` on the output layer'),
        fixes=ranked(*fixes),
    )


def _logits_twice(editor: Editor, head: OutputCheck) -> Finding | None:
    if not head.loss.from_logits or head.activation not in PROBABILITIES or head.activation_from != "layers":
        return None
    loss = loss_spelling(head)
    line = editor.loss_line(head)
    keep_probabilities = editor.set_from_logits(editor.source, head, False)
    linear_output = editor.set_activation(editor.source, head, None)
    return RULE.finding(
        f"`from_logits=True` says the outputs are logits, but `{_layer(head)}` already applies "
        f"{head.activation}{_observed(head)}",
        line=line,
        layer=_layer(head),
        severity="info",
        evidence=_evidence(head, keras_uses_logits=True),
        notes=[f"Keras 3 notices the {head.activation} and computes the loss from the values before it, so "
               "training is unaffected; it warns `received from_logits=True ... Was this intended?`"],
        help=f"drop `from_logits=True`, or remove the {head.activation} from the output layer",
        fixes=ranked(
            editor.fix("drop-from-logits", "drop `from_logits=True` from the loss", keep_probabilities,
                       f"`{loss}` then reads the {head.activation} outputs as the probabilities they are"),
            editor.fix("linear-output", f"remove the {head.activation} from the output layer", linear_output,
                       "the output becomes logits, as `from_logits=True` says; `predict` then returns logits"),
        ),
    )


def _sigmoid_exclusive(editor: Editor, head: OutputCheck) -> Finding | None:
    if head.activation != "sigmoid" or head.activation_from != "layers" or (head.units or 1) < 2 \
            or head.loss.family not in ("categorical", "sparse"):
        return None
    patched = editor.set_activation(editor.source, head, "softmax")
    sums = "" if head.observed_row_sums_one is not False else " (rows of the first batch do not sum to 1)"
    return RULE.finding(
        f"`predict` returns independent sigmoid outputs of `{_layer(head)}`, but `{loss_spelling(head)}` "
        f"treats its {head.units} classes as exclusive{sums}",
        line=editor.head_line(head),
        layer=_layer(head),
        severity="warning",
        evidence=_evidence(head, row_sums_one=head.observed_row_sums_one),
        notes=["Keras 3 trains the loss on the values before the sigmoid, as if they went through a softmax; "
               "the probabilities `predict` returns then do not sum to 1 and do not match what was trained"],
        help='use `activation="softmax"` for exclusive classes (or `binary_crossentropy` for multi-label targets)',
        fixes=ranked(editor.fix("softmax", 'use `activation="softmax"` on the output layer', patched,
                                "softmax makes the class probabilities compete and sum to 1")),
    )


def _softmax_binary(editor: Editor, head: OutputCheck) -> Finding | None:
    if head.activation != "softmax" or (head.units or 1) < 3 or head.loss.family != "binary" \
            or head.target_kind != "one-hot":
        return None
    patched = editor.set_loss(editor.source, head, '"categorical_crossentropy"')
    return RULE.finding(
        f"`{loss_spelling(head)}` on a softmax over {head.units} exclusive classes scores each class as "
        "a separate yes/no question",
        line=editor.loss_line(head),
        layer=_layer(head),
        severity="warning",
        evidence=_evidence(head, target_encoding=head.target_kind),
        notes=["`accuracy` then resolves to binary accuracy, which looks high because most entries are 0"],
        help='use `loss="categorical_crossentropy"` for one-hot targets over exclusive classes',
        fixes=ranked(editor.fix("categorical-loss", 'use `loss="categorical_crossentropy"`', patched,
                                "the loss for one-hot targets over exclusive classes")),
    )


RULE = Rule(code="GM104", name="activation-loss-mismatch", severity="error", detect=detect, doc=__doc__)
