"""GM006 missing-loss-or-targets: no loss in `compile()`, `fit()` without targets, a generator/dataset/Sequence yielding a list or a dict without labels instead of `(x, y)`.

## What it does
Looks at what `fit` was given and how the first step failed. Fires when the model was
compiled without a `loss` and the step needs one (`ValueError: No loss to compute.`),
when `fit` got inputs but no targets for a loss that needs `y_true`
(`ValueError: None values not supported.`), or when a generator yields a list or a dict
(`the generator must return a tuple`) or a `PyDataset` returns a dict that holds the
labels among the inputs.

## Why is this bad?
Keras can only train when each batch splits into `(inputs, targets)` and a loss compares
the two. A list from a generator is rejected; a dict is taken as the model's inputs, so
the labels end up fed to the model (or rejected) and the loss gets no targets.

## Example
```python
def batches():
    while True:
        yield [x_batch, y_batch]
model.compile(optimizer="adam")
model.fit(batches(), steps_per_epoch=4)
```

## Use instead
```python
def batches():
    while True:
        yield x_batch, y_batch
model.compile(optimizer="adam", loss="mse")
```

## Fix safety
`review` for adding a loss: gradmagic picks the built-in loss that fits the output
activation and the targets it sampled; check that it is the one you mean.
`safe` for yielding a tuple instead of a list (Keras reads `(x, y)` from a tuple only).
`review` for splitting a dict: the key named like a label (`y`, `label(s)`, `target(s)`)
becomes the targets. `review` for `fit` without targets when one variable is named like labels
(`y`, `labels`, `targets`, ...): it joins `from_tensor_slices(x)` as `(x, labels)`, or a generator's
`yield x[rows]` as `yield x[rows], labels[rows]`; otherwise no fix: only you know the targets.
"""

from __future__ import annotations

import ast
from typing import Iterable

from gradmagic.evidence.data_origin import dataset_source, names_assigned_before
from gradmagic.evidence.facts.compiled import LossSetup
from gradmagic.fixes import make_fix
from gradmagic.fixes.datasets import split_labels, with_labels, yield_tuple, yield_with_labels
from gradmagic.fixes.losses import set_compile_loss
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import (
    code_span,
    output_layer,
    output_units,
    raised_errors,
    suggested_loss,
    target_kind,
)
from gradmagic.rules.base import Rule, RuleContext

NO_LOSS = "No loss to compute"
LABEL_KEYS = ("y", "label", "labels", "target", "targets")
# variable names that hold labels by convention (``y``, ``y_train``, ``labels``, ``targets``)
LABEL_NAMES = ("y", "y_train", "ys", "label", "labels", "target", "targets", "train_labels", "labels_train")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    errors = _errors(ctx)
    if fit.compiled and not fit.loss.given and any(NO_LOSS in message for _, message in errors):
        yield _no_loss(ctx, errors)
        return
    data = fit.data
    if data.kind == "generator" and data.element_kind and (data.element_kind.startswith("list")
                                                          or data.element_kind == "dict"):
        yield _element_not_tuple(ctx, errors)
        return
    needs_targets = fit.compiled and fit.loss.given and not fit.custom_train_step
    if needs_targets and data.kind == "pydataset" and data.element_kind == "dict" and errors:
        yield _element_not_tuple(ctx, errors)
        return
    if needs_targets and not data.has_targets and data.kind in ("arrays", "generator", "pydataset", "dataset") \
            and data.element_kind != "dict" and errors:
        yield _no_targets(ctx, errors)


def _errors(ctx: RuleContext) -> list[tuple[str, str]]:
    """``(type, message)`` of the probe's trace error and of ``fit``'s exception."""
    return [(type_name, message) for type_name, message, _ in raised_errors(ctx)]


def _raised_note(ctx: RuleContext, errors: list[tuple[str, str]]) -> list[str]:
    if not errors:
        return []
    type_name, message = errors[-1]
    message = message if len(message) <= 160 else message[:157] + "..."
    where = f" at the `fit` on line {ctx.fit.line}" if ctx.fit.exception is not None and ctx.fit.line else ""
    return [f"Keras raised {code_span(f'{type_name}: {message}')}{where}"]


# -- no loss in compile() ------------------------------------------------------------------

def _no_loss(ctx: RuleContext, errors: list[tuple[str, str]]) -> Finding:
    fit = ctx.fit
    line = _compile_line(ctx.source.tree, fit.line)
    loss_code = suggested_loss(fit)
    head = output_layer(fit)
    activation = (head.activation if head else None) or "linear"
    kind = target_kind(fit.data.y, output_units(fit))
    evidence = {"loss": None, "train_step": "custom" if fit.custom_train_step else "built-in",
                "output_activation": activation, "targets": kind, "suggested_loss": loss_code}
    fixes: list[Fix] = []
    patched = set_compile_loss(ctx.source.text, loss_code, line)
    fix = make_fix("add-loss", f"pass `loss={loss_code}` to `compile()`", "review", ctx.source.text, patched,
                   f"a built-in loss for a {activation} output and {kind} targets")
    if fix:
        fixes.append(fix)
    why = "the custom `train_step` calls `compute_loss`" if fit.custom_train_step else "`fit` must minimise a loss"
    return RULE.finding(
        f"`compile()` got no `loss`, but {why}: expected a loss, found none",
        line=line, evidence=evidence, notes=_raised_note(ctx, errors),
        help=f"pass `loss={loss_code}` to `compile()`; it fits the {activation} output and the {kind} targets",
        fixes=fixes,
    )


def _compile_line(tree: ast.Module | None, fit_line: int | None) -> int | None:
    """The ``.compile(...)`` call nearest before the ``fit`` line (the first one otherwise)."""
    if tree is None:
        return None
    lines = sorted(node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                   and isinstance(node.func, ast.Attribute) and node.func.attr == "compile")
    before = [line for line in lines if fit_line is None or line <= fit_line]
    return before[-1] if before else (lines[0] if lines else None)


# -- a list or a dict instead of (x, y) ----------------------------------------------------

def _element_not_tuple(ctx: RuleContext, errors: list[tuple[str, str]]) -> Finding:
    data = ctx.fit.data
    line = _origin_line(ctx)
    source_kind = "generator" if data.kind == "generator" else "PyDataset"
    found = data.element_kind
    evidence = {"source": source_kind, "element": found, "expected": "tuple (x, y)",
                "has_targets": data.has_targets}
    if found == "dict":
        keys = list(data.element_keys or [])
        evidence["keys"] = keys
        label = _label_key(keys)
        message = (f"the {source_kind} gives a dict with keys {', '.join(f'`{k}`' for k in keys)}, which Keras "
                   "takes as the model's inputs: expected a tuple `(x, y)`, found a dict without labels")
        help_text = (f"return the labels apart: `inputs, labels` with `{label}` as the labels"
                     if label else "return a tuple `(inputs, targets)`; keep only the model's inputs in the dict")
        fix = _split_dict_fix(ctx.source.text, line, label) if label else None
    else:
        message = f"the {source_kind} yields a list where Keras needs a tuple: expected `(x, y)`, found a {found}"
        help_text = "yield a tuple: `yield inputs, targets` (Keras reads `(x, y)` from a tuple only)"
        fix = _tuple_fix(ctx.source.text, line)
    return RULE.finding(message, line=line, evidence=evidence, notes=_raised_note(ctx, errors),
                        help=help_text, fixes=[fix] if fix else [])


def _origin_line(ctx: RuleContext) -> int | None:
    """The ``yield`` (or ``return`` in ``__getitem__``) line that produced the first element."""
    origin = ctx.fit.data.origin
    if origin is None or not ctx.source.is_ours(origin[0]):
        return None
    filename, line = origin
    if ctx.fit.data.kind == "generator":
        return line
    tree = ctx.source.tree
    if tree is None:
        return line
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__getitem__" and (
                node.lineno == line or any(d.lineno == line for d in node.decorator_list)):
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
            return returns[-1].lineno if returns else line
    return line


def _label_key(keys: list) -> str | None:
    labels = [key for key in keys if isinstance(key, str) and key.lower() in LABEL_KEYS]
    return labels[0] if len(labels) == 1 and len(keys) > 1 else None


def _tuple_fix(source: str, line: int | None) -> Fix | None:
    """``yield [a, b]`` -> ``yield a, b``; ``return [a, b]`` -> ``return a, b``."""
    if line is None:
        return None
    patched = yield_tuple(source, line)
    return make_fix("yield-tuple", f"yield a tuple instead of a list on line {line}", "safe", source, patched,
                    "Keras splits `(x, y)` from a tuple only")


def _split_dict_fix(source: str, line: int | None, label: str) -> Fix | None:
    """``yield {"features": a, "target": b}`` -> ``yield a, b``."""
    if line is None:
        return None
    patched = split_labels(source, line, label)
    return make_fix("split-labels", f"give `{label}` as the targets: `inputs, {label}` on line {line}", "review",
                    source, patched, "Keras reads the targets from the second item of a tuple")


# -- fit() without targets -----------------------------------------------------------------

def _no_targets(ctx: RuleContext, errors: list[tuple[str, str]]) -> Finding:
    fit = ctx.fit
    data = fit.data
    loss_name = _loss_name(fit.loss)
    line = fit.line if data.kind == "arrays" else (_origin_line(ctx) or fit.line)
    fixes: list[Fix] = []
    made = dataset_source(ctx.source.tree, fit.line) if data.kind == "dataset" else None
    if made is not None:  # the line that builds the dataset from features only
        line = made[0]
        fix = _with_labels_fix(ctx, *made)
        fixes = [fix] if fix else []
    elif data.kind in ("generator", "pydataset") and line != fit.line:  # the yield/return of inputs only
        fix = _yield_labels_fix(ctx, line)
        fixes = [fix] if fix else []
    element = {"other": "inputs only", None: "inputs only"}.get(data.element_kind, data.element_kind)
    got = "inputs" if data.kind == "arrays" else f"a {data.kind} whose elements are {element}"
    evidence = {"source": data.kind, "element": data.element_kind, "has_targets": False, "loss": loss_name}
    return RULE.finding(
        f"`fit()` got {got} but no targets, while the loss `{loss_name}` compares predictions with targets",
        line=line, evidence=evidence, notes=_raised_note(ctx, errors),
        help="pass the targets: `model.fit(x, y, ...)`, or make the data yield `(x, y)` tuples",
        fixes=fixes,
    )


def _loss_name(loss: LossSetup) -> str:
    """The string, the function's name, or the type given to ``compile(loss=...)``."""
    if loss.structure != "single":
        return loss.type_name
    entry = loss.entries[0]
    return entry.text if entry.text is not None else entry.function_name or entry.class_name


def _labels_variable(ctx: RuleContext, line: int) -> str | None:
    """The one variable written before ``line`` that is named like labels."""
    candidates = [name for name in names_assigned_before(ctx.source.tree, line)
                  if name.lower().rstrip("_") in LABEL_NAMES]
    return candidates[0] if len(candidates) == 1 else None


def _yield_labels_fix(ctx: RuleContext, line: int) -> Fix | None:
    """``yield features[index]`` -> ``yield features[index], labels[index]``."""
    labels = _labels_variable(ctx, line)
    if labels is None:
        return None
    source = ctx.source.text
    patched = yield_with_labels(source, line, labels)
    return make_fix("yield-with-labels", f"yield `{labels}` with the inputs on line {line}", "review",
                    source, patched, "Keras reads `(x, y)` from each element; the same index picks the labels")


def _with_labels_fix(ctx: RuleContext, line: int, call: ast.Call) -> Fix | None:
    """``from_tensor_slices(features)`` -> ``from_tensor_slices((features, labels))`` when one variable
    written before it is named like labels."""
    labels = _labels_variable(ctx, line)
    if labels is None:
        return None
    source = ctx.source.text
    patched = with_labels(source, line, call.func.attr, labels)
    features = ast.unparse(call.args[0])
    return make_fix("dataset-with-labels", f"build the dataset from `({features}, {labels})` on line {line}", "review",
                    source, patched, "Keras reads `(x, y)` from each element; without `y` there is nothing to fit")


RULE = Rule(code="GM006", name="missing-loss-or-targets", severity="error", detect=detect, doc=__doc__)
