"""GM009 frozen-weights: nothing is trainable, or the layers that must learn are frozen (including Keras 3 capturing `trainable` at the first trace of the train function, the classic GAN recipe).

## What it does
Checks which weights the training step actually updates:
- nothing: `model.trainable = False`, or every layer frozen, when `fit`/`train_on_batch`
  runs; in particular the classic GAN recipe, where the discriminator is frozen to build
  the combined model and then trained on its own;
- less than the user asked for: a layer set back to `trainable = True` after the model's
  train step was already traced (fine-tuning without a new `compile()`).

Freezing some layers while others learn (transfer learning) is fine and is not reported.

## Why is this bad?
Keras 3 reads `trainable` when the train step is first traced, at the first
`fit`/`train_on_batch` after `compile()`, and keeps that choice until the next
`compile()`. The Keras 2 GAN recipe (`discriminator.compile(...)`;
`discriminator.trainable = False`; build and compile the GAN) relied on `compile()`
capturing the flag: under Keras 3 the discriminator's own step is traced with nothing
trainable, Keras only warns `The model does not have any trainable weights.`, and the
discriminator never learns. Likewise, `base.trainable = True` after a first `fit` does
nothing until the model is compiled again.

## Example
```python
discriminator.compile(optimizer="adam", loss="binary_crossentropy")
discriminator.trainable = False
gan = keras.Model(z, discriminator(generator(z)))
gan.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(steps):
    discriminator.train_on_batch(batch, labels)   # traced frozen: never learns
    gan.train_on_batch(noise, ones)
```

## Use instead
Set the flag each model must see right before its own step is first traced:
```python
    discriminator.trainable = True
    discriminator.train_on_batch(batch, labels)
    discriminator.trainable = False
    gan.train_on_batch(noise, ones)
```
or write one model with a custom `train_step` that updates each network with its own
optimizer. After unfreezing layers, call `compile()` again.

## Fix safety
`review` for every fix: setting `trainable` around a training call, removing a freeze, or
compiling again (which also starts a fresh optimizer) changes what is trained.
"""

from __future__ import annotations

import ast
from typing import Iterable

from gradmagic.evidence.facts.model import ModelInfo
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes import make_fix
from gradmagic.fixes.trainable import trainable_around, unfreeze_at
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import names_listed
from gradmagic.rules.base import Rule, RuleContext

FLOAT_PREFIXES = ("float", "bfloat", "half")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    fit = ctx.fit
    tracer = _tracing_fit(ctx)
    traced_state = tracer.model_info if tracer is not None else fit.model_info
    if not _learnable(fit.model_info):
        return
    if not traced_state.trainable_variables():
        yield _nothing_trainable(ctx, tracer)
        return
    if tracer is not None and not fit.run_eagerly:
        finding = _unfrozen_after_trace(ctx, tracer)
        if finding is not None:
            yield finding


def _learnable(info: ModelInfo) -> list[str]:
    """Floating-point weights of the model, frozen or not (what could learn at all)."""
    return [v.path for v in info.variables if v.dtype.startswith(FLOAT_PREFIXES) and v.layer is not None]


def _tracing_fit(ctx: RuleContext) -> FitEvidence | None:
    """The earlier call whose traced train function this call reuses (None: this call traces it)."""
    fit = ctx.fit
    if fit.train_function_before is None:
        return None
    for earlier in reversed(ctx.earlier_fits):
        if earlier.model_identity == fit.model_identity and earlier.train_function_after == fit.train_function_before:
            return earlier
    return None


# -- nothing trainable ----------------------------------------------------------------------------
def _frozen_layers(info: ModelInfo) -> list[str]:
    """The outermost frozen layers that hold weights (the model itself when it is frozen)."""
    if not info.trainable:
        return [info.name]
    frozen = {layer.name for layer in info.layers if not layer.trainable and layer.params}
    return _frozen_in_order(info, frozen)


def _frozen_in_order(info: ModelInfo, names: set[str]) -> list[str]:
    by_name = {layer.name: layer for layer in info.layers}
    return [layer.name for layer in info.layers if layer.name in names
            and not (layer.parent in names and by_name.get(layer.parent) is not None)]


def _nothing_trainable(ctx: RuleContext, tracer: FitEvidence | None) -> Finding:
    fit = ctx.fit
    state = tracer.model_info if tracer is not None else fit.model_info
    receiver = _receiver(ctx, fit.line)
    frozen = _frozen_layers(state)
    weights = len(_learnable(state))
    params = sum(layer.params for layer in state.layers if layer.parent is None)
    freeze_line = _freeze_line(ctx, receiver, fit.line)
    call = f"`{receiver}.{fit.method}`" if receiver else f"`{fit.method}`"
    containers = [m for m in fit.enclosing_models if m.compiled]
    evidence = {"model": state.name, "frozen_layers": frozen, "weights": weights, "parameters": params,
                "trainable_weights": 0, "method": fit.method}
    notes = ["Keras only warns about this (`The model does not have any trainable weights.`)"]
    if containers:
        outer = containers[0]
        evidence["frozen_inside"] = [m.name for m in containers]
        message = (f"model `{state.name}` is frozen when {call} first runs: Keras 3 reads `trainable` "
                   f"when it traces the train step, so its {weights} weights ({params} parameters) never change")
        notes.insert(0, f"`{state.name}` was frozen to build the compiled model `{outer.name}`"
                        + (f" (line {outer.line})" if outer.line else "")
                        + "; Keras 3 reads `trainable` at the first training call, not at `compile()`")
        help_text = (f"set `{receiver or state.name}.trainable = True` right before {call} and back to `False` "
                     f"before the step of `{outer.name}`")
        fixes = _toggle_fix(ctx, receiver, fit.line)
        line = freeze_line or fit.line  # the freeze meant for the compiled model, which this fit also sees
    else:
        message = (f"nothing in model `{state.name}` is trainable when {call} runs: "
                   f"all {weights} weights ({params} parameters) are frozen")
        help_text = "leave at least the layers that must learn trainable (`trainable = True`)"
        fixes = _unfreeze_fix(ctx, freeze_line)
        line = freeze_line or fit.line
    if tracer is not None:
        notes.append(f"the train step was traced at line {tracer.line}, when the model was frozen; "
                     "Keras 3 keeps that until the next `compile()`")
    return RULE.finding(message, line=line, layer=frozen[0] if frozen else state.name, evidence=evidence,
                        notes=notes, help=help_text, fixes=fixes)


# -- unfrozen after the train step was traced ---------------------------------------------------
def _unfrozen_after_trace(ctx: RuleContext, tracer: FitEvidence) -> Finding | None:
    fit = ctx.fit
    then = {layer.name: layer.trainable for layer in tracer.model_info.layers}
    now = fit.model_info
    stale = {layer.name for layer in now.layers if layer.trainable and layer.params and then.get(layer.name) is False}
    if not stale:
        return None
    layers = _frozen_in_order(now, stale)
    trainable_then = {v.path for v in tracer.model_info.trainable_variables()}
    missing = [v.path for v in now.trainable_variables() if v.path not in trainable_then]
    receiver = _receiver(ctx, fit.line)
    unfreeze_line = _assignment_line(ctx, True, before=fit.line, after=tracer.line)
    listed = names_listed(layers)
    return RULE.finding(
        f"layer(s) {listed} were unfrozen after the train step was traced at line {tracer.line}: "
        f"Keras 3 still trains {len(trainable_then)} of {len(now.trainable_variables())} trainable variables",
        line=unfreeze_line or fit.line,
        layer=layers[0],
        severity="warning" if trainable_then else "error",
        evidence={"layers": layers, "variables_not_updated": missing, "traced_at_line": tracer.line,
                  "trainable_when_traced": len(trainable_then), "trainable_now": len(now.trainable_variables())},
        notes=["Keras 3 reads `trainable` when the train step is first traced and keeps it until `compile()`"],
        help=f"call `{receiver or 'model'}.compile(...)` again after changing `trainable`",
        fixes=_recompile_fix(ctx, receiver, unfreeze_line, fit.line),
    )


# -- source lookups -------------------------------------------------------------------------------
def _receiver(ctx: RuleContext, line: int | None) -> str | None:
    """``discriminator`` for ``discriminator.train_on_batch(...)`` on ``line``."""
    tree = ctx.source.tree
    if tree is None or line is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("fit", "train_on_batch") and node.lineno <= line <= (node.end_lineno or line):
            return ast.unparse(node.func.value)
    return None


def _freeze_assignments(ctx: RuleContext, value: bool) -> list[tuple[int, str, str | None]]:
    """``(line, receiver, iterable)`` for ``x.trainable = value``; ``iterable`` is the loop's, if any."""
    tree = ctx.source.tree
    if tree is None:
        return []
    loops: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Assign):
                    loops.setdefault(inner.lineno, ast.unparse(node.iter))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is value:
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "trainable":
                    found.append((node.lineno, ast.unparse(target.value), loops.get(node.lineno)))
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "trainable" and isinstance(keyword.value, ast.Constant) and \
                        keyword.value.value is value:
                    found.append((keyword.value.lineno, "", None))
    return sorted(found)


def _freeze_line(ctx: RuleContext, receiver: str | None, before: int | None) -> int | None:
    """Where the model (or all its layers) was frozen: the best ``trainable = False`` before ``before``."""
    found = [item for item in _freeze_assignments(ctx, False) if before is None or item[0] < before]
    if not found:
        return None
    if receiver:
        exact = [line for line, target, _ in found if target == receiver]
        loop = [line for line, _, iterable in found if iterable and iterable.startswith(f"{receiver}.")]
        for candidates in (exact, loop):
            if candidates:
                return candidates[-1]
    return found[-1][0]


def _assignment_line(ctx: RuleContext, value: bool, before: int | None, after: int | None) -> int | None:
    found = [line for line, _, _ in _freeze_assignments(ctx, value)
             if (before is None or line < before) and (after is None or line > after)]
    return found[-1] if found else None


# -- fixes ----------------------------------------------------------------------------------------
def _toggle_fix(ctx: RuleContext, receiver: str | None, line: int | None) -> list[Fix]:
    if not receiver or line is None:
        return []
    source = ctx.source.text
    patched = trainable_around(source, line, receiver)
    fix = make_fix("trainable-around-step", f"set `{receiver}.trainable = True` around its own step (line {line})",
                   "review", source, patched, "Keras 3 traces the step with the flag it sees at its first call")
    return [fix] if fix else []


def _unfreeze_fix(ctx: RuleContext, line: int | None) -> list[Fix]:
    if line is None:
        return []
    source = ctx.source.text
    patched = unfreeze_at(source, line)
    fix = make_fix("unfreeze", f"set `trainable = True` on line {line}", "review", source, patched,
                   "the weights that must learn stay trainable")
    return [fix] if fix else []


def _recompile_fix(ctx: RuleContext, receiver: str | None, unfreeze_line: int | None,
                   fit_line: int | None) -> list[Fix]:
    """Repeat the model's ``compile(...)`` right after the unfreeze, when it builds a fresh optimizer."""
    tree = ctx.source.tree
    if tree is None or not receiver or unfreeze_line is None:
        return []
    compiles = [node for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "compile"
                and ast.unparse(node.value.func.value) == receiver and node.lineno < unfreeze_line]
    if not compiles:
        return []
    statement = compiles[-1]
    optimizer = next((k.value for k in statement.value.keywords if k.arg == "optimizer"),
                     statement.value.args[0] if statement.value.args else None)
    if optimizer is not None and not isinstance(optimizer, (ast.Constant, ast.Call)):
        return []  # an optimizer instance held in a variable is built for the old variable list
    source = ctx.source.text
    text = ast.get_source_segment(source, statement)
    if text is None:
        return []
    patched = cst_edit.insert_around_statement(source, unfreeze_line, after=text)
    fix = make_fix("compile-again", f"compile `{receiver}` again after unfreezing (line {unfreeze_line})", "review",
                   source, patched, "a new `compile()` makes Keras trace the train step with the new flags")
    return [fix] if fix else []


RULE = Rule(code="GM009", name="frozen-weights", severity="error", detect=detect, doc=__doc__)
