"""GM007 output-loss-mismatch: multi-output / dict outputs whose names, loss keys and target keys do not match, or an output head that has no loss.

## What it does
Compares three sets of names for a model with several (or named) outputs: the model's
output keys (the keys of a dict of outputs, else the output layers' names), the keys of
the `loss=` dict (or the entries of a `loss=` list) and the keys of the target dict.
Reports a loss or target key that names no output, an output without targets, and an
output head that has no loss.

## Why is this bad?
A key that names no output stops `fit` with errors that do not say which key is wrong
(`KeyError: The path: ('scores',) in the loss argument, can't be found ...`, `y_true and
y_pred have different structures`, or even `TypeError: Expected float32, but got label of
type 'str'`). A head without a loss trains silently: Keras 3 only warns
`Gradients do not exist for variables ...` and the head's weights keep their initial values.

## Example
```python
model = keras.Model(inputs, {"label": class_head, "score": value_head})
model.compile(optimizer="adam",
              loss={"label": "sparse_categorical_crossentropy", "scores": "mse"})
model.fit(x, {"label": y_class, "score": y_value})
```

## Use instead
```python
model.compile(optimizer="adam",
              loss={"label": "sparse_categorical_crossentropy", "score": "mse"})
```

## Fix safety
Renaming the one loss (or target) key that names no output to the one output left
without a loss (or targets) is `safe`: there is exactly one way to pair them. Adding a
loss to a head without one is `review`: the loss is chosen from the head's activation and
its targets, and the user must confirm the head should learn.
"""

from __future__ import annotations

import ast
from typing import Any, Iterable

from gradmagic.evidence.facts.model import OutputHead
from gradmagic.fixes import make_fix
from gradmagic.fixes.losses import set_loss_entry, set_loss_item
from gradmagic.fixes.output_keys import rename_key, unwrap_only_entry
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import loss_for_head, units_of
from gradmagic.rules.base import Rule, RuleContext


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    heads = fit.model_info.outputs
    loss = fit.loss
    targets = fit.data.y if fit.data is not None else None
    target_keys = list(targets) if isinstance(targets, dict) else (fit.data.target_keys if fit.data else None)
    if not heads or not (len(heads) > 1 or loss.keyed or target_keys is not None):
        return
    output_keys = [head.key for head in heads]
    loss_keys = loss.keys if loss.keyed else None
    evidence = {"output_keys": output_keys, "loss_keys": loss_keys, "target_keys": target_keys}

    unmatched_loss: list[str] = []
    if loss_keys is not None:
        unmatched_loss = [key for key in loss_keys if key not in output_keys]
        lossless = [key for key in output_keys if key not in loss_keys or not loss.entry(key).given]
        yield from _key_findings(ctx, "loss", unmatched_loss, [k for k in output_keys if k not in loss_keys],
                                 output_keys, loss_keys, evidence)
    elif loss.structure == "sequence" and len(heads) > 1:
        lossless = [key for index, key in enumerate(output_keys)
                    if index >= len(loss.entries) or not loss.entries[index].given]
    else:
        lossless = []
    if target_keys is not None:
        yield from _key_findings(ctx, "target", [k for k in target_keys if k not in output_keys],
                                 [k for k in output_keys if k not in target_keys], output_keys, target_keys, evidence)
    paired = 1 if len(unmatched_loss) == 1 and len([k for k in output_keys if k not in (loss_keys or [])]) == 1 else 0
    if not paired:
        for key in lossless:
            yield _lossless_finding(ctx, _head(heads, key), evidence, targets)


# -- keys that name no output -----------------------------------------------------------------------
def _key_findings(ctx: RuleContext, kind: str, unknown: list[str], missing: list[str], output_keys: list[str],
                  keys: list[str], evidence: dict) -> Iterable[Finding]:
    if not unknown and not missing:
        return
    heads = ctx.fit.model_info.outputs
    outputs = ", ".join(f"`{k}`" for k in output_keys)
    what = "`loss` dict" if kind == "loss" else "target dict"
    line_of_dict, key_lines = _dict_lines(ctx.source.tree, keys)
    if len(unknown) == 1 and len(missing) == 1:
        bad, good = unknown[0], missing[0]
        yield RULE.finding(
            f"the {what} has key `{bad}`, but the model's outputs are {outputs}: output `{good}` gets "
            + ("no loss" if kind == "loss" else "no targets"),
            line=key_lines.get(bad, line_of_dict),
            layer=_head(heads, good).layer,
            evidence=evidence,
            help=f'rename `"{bad}"` to `"{good}"`',
            fixes=_rename_fix(ctx, keys, bad, good, kind),
            span=_span(ctx, key_lines.get(bad), bad),
            label=f"no output is named `{bad}`",
        )
        return
    for bad in unknown:
        yield RULE.finding(
            f"the {what} has key `{bad}`, which names none of the model's outputs ({outputs})",
            line=key_lines.get(bad, line_of_dict),
            layer=None,
            evidence=evidence,
            help=f"use the output keys {outputs} in the {what}",
            span=_span(ctx, key_lines.get(bad), bad),
            label=f"no output is named `{bad}`",
        )
    if kind == "target":
        for good in missing:
            yield RULE.finding(
                f"output `{good}` has no targets: the target dict has keys "
                + ", ".join(f"`{k}`" for k in keys),
                line=line_of_dict or ctx.fit.line,
                layer=_head(heads, good).layer,
                evidence=evidence,
                help=f'add `"{good}": <targets>` to the target dict, or give `{good}` no loss',
            )


def _rename_fix(ctx: RuleContext, keys: list[str], bad: str, good: str, kind: str) -> list[Fix]:
    source = ctx.source.text
    info = ctx.fit.model_info
    if kind == "target" and len(info.outputs) == 1 and not info.dict_outputs and len(keys) == 1:
        # one plain output: Keras 3 takes no dict of targets for it at all, so unwrap the dict
        patched = unwrap_only_entry(source, keys)
        fix = make_fix("plain-targets", f'pass the targets themselves instead of `{{"{bad}": ...}}`', "safe", source,
                       patched, "a model with one plain output takes its targets as they are")
        return [fix] if fix else []
    patched = rename_key(source, keys, bad, good)
    fix = make_fix(f"rename-{kind}-key", f'rename the {kind} key `"{bad}"` to `"{good}"`', "safe", source, patched,
                   "exactly one key names no output and exactly one output is left without it")
    return [fix] if fix else []


# -- heads without a loss ---------------------------------------------------------------------------
def _lossless_finding(ctx: RuleContext, head: OutputHead, evidence: dict, targets: Any) -> Finding:
    fit = ctx.fit
    layer = fit.model_info.layer(head.layer)
    params = layer.params if layer else 0
    has_targets = isinstance(targets, dict) and head.key in targets or \
        isinstance(targets, (list, tuple)) and head.key in evidence["output_keys"]
    line = _loss_line(ctx)
    return RULE.finding(
        f"output `{head.key}` has no loss: the {params} parameters of its head `{head.layer}` "
        "never get a gradient",
        line=line,
        layer=head.layer,
        severity="warning",
        evidence={**evidence, "head_without_loss": head.key, "head_parameters": params},
        notes=["Keras only warns about this (`Gradients do not exist for variables ...`)"],
        help=f"give output `{head.key}` a loss in `compile(loss=...)`, or remove the output if it should not learn",
        fixes=_add_loss_fix(ctx, head, targets) if has_targets else [],
    )


def _add_loss_fix(ctx: RuleContext, head: OutputHead, targets: Any) -> list[Fix]:
    fit = ctx.fit
    layer = fit.model_info.layer(head.layer)
    index = [h.key for h in fit.model_info.outputs].index(head.key)
    y = targets.get(head.key) if isinstance(targets, dict) else (
        targets[index] if isinstance(targets, (list, tuple)) and index < len(targets) else None)
    loss_code = loss_for_head(layer.activation if layer else None, units_of(layer.output_shape if layer else None), y)
    source = ctx.source.text
    if fit.loss.keyed:
        patched = set_loss_entry(source, fit.loss.keys, head.key, loss_code)
    else:
        patched = set_loss_item(source, index, loss_code)
    fix = make_fix("add-head-loss", f"train output `{head.key}` with `{loss_code}`", "review", source, patched,
                   "a built-in loss that fits the head's activation and its targets")
    return [fix] if fix else []


# -- source lookups ---------------------------------------------------------------------------------
def _head(heads: list[OutputHead], key: str) -> OutputHead:
    return next((head for head in heads if head.key == key), OutputHead(key, key))


def _dict_lines(tree: ast.Module | None, keys: list[str]) -> tuple[int | None, dict[str, int]]:
    """The line of the dict literal with exactly these string keys, and the line of each key."""
    if tree is None:
        return None, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and _string_keys(node) == sorted(keys):
            return node.lineno, {k.value: k.lineno for k in node.keys if isinstance(k, ast.Constant)}
    return None, {}


def _string_keys(node: ast.Dict) -> list[str] | None:
    if not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return None
    return sorted(k.value for k in node.keys)


def _loss_line(ctx: RuleContext) -> int | None:
    """The line of the ``loss=`` argument of the model's ``compile`` call."""
    tree = ctx.source.tree
    if tree is None:
        return ctx.fit.line
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            loss = next((k for k in node.keywords if k.arg == "loss"), None)
            if loss is not None:
                return loss.value.lineno
    return ctx.fit.line


def _span(ctx: RuleContext, line: int | None, key: str) -> list[int] | None:
    text = ctx.source.line_text(line)
    for quote in ('"', "'"):
        start = text.find(f"{quote}{key}{quote}")
        if start >= 0:
            return [start, start + len(key) + 2]
    return None


RULE = Rule(code="GM007", name="output-loss-mismatch", severity="error", detect=detect, doc=__doc__)
