"""GM013 optimizer-variable-mismatch: an optimizer is applied to variables it was not built for (one instance shared between models, variables added after its first step).

## What it does
Reads how `fit` (or the trace of a custom `train_step`) failed. A Keras 3 optimizer is built
once, for the variables of its first step, and then refuses any other variable
(`ValueError: Unknown variable: <Variable path=...>. This optimizer can only be called for
the variables it was originally built with.`). Fires when that happens, and says why:

- one optimizer object passed to `compile` of two models (the first `fit` builds it for
  the first model; the second model's variables are unknown to it). `line` is where the
  shared optimizer is passed the second time;
- a custom `train_step` that applies one optimizer to two sets of variables (a GAN's
  discriminator and generator): `line` is the second `apply_gradients`;
- a model that gained variables after its first `fit` (layers added, not recompiled).

## Why is this bad?
Training stops at the first step of the second model (or the second update) with an
error that names a variable but not the shared optimizer. Even where it did not fail, one
optimizer's moment estimates and step count would be shared by unrelated weights.

## Example
```python
opt = keras.optimizers.Adam(1e-3)
encoder.compile(optimizer=opt, loss="mse")
classifier.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
```

## Use instead
```python
encoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
classifier.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
```

## Fix safety
`safe` for giving the second `compile` an optimizer of its own, made by the same
constructor call as the shared one (each model then trains as it would alone). `review`
for applying, in a `train_step`, the class's other optimizer that no update uses yet
(check that it is the one meant for those variables). No fix is offered for variables
added after the first `fit` (compile the model again after changing it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from gradmagic.fixes import make_fix
from gradmagic.fixes.optimizers import apply_other_optimizer, own_optimizer
from gradmagic.report.model import Finding, Fix
from gradmagic.rules._shared import code_span, raised_errors
from gradmagic.rules.base import Rule, RuleContext

#: what Keras 3 raises when an optimizer meets variables it was not built for (older Keras: KeyError)
MISMATCH = (
    ("ValueError", re.compile(r"Unknown variable: <Variable path=([^,>\s]+).*can only be called for the variables it was "
                              r"originally built with", re.DOTALL)),
    ("KeyError", re.compile(r"optimizer cannot recognize variable ([^\s.']+)")),
    ("ValueError", re.compile(r"When passing `grads` as a list of gradient tensors, the gradients must match "
                              r"`optimizer.variables`()")),
)
APPLY_METHODS = ("apply_gradients", "apply", "minimize")


def detect(ctx: RuleContext) -> Iterable[Finding]:
    failure = _mismatch(ctx)
    if failure is None:
        return
    type_name, message, line, variable = failure
    tree = ctx.source.tree
    evidence = {"exception_type": type_name, "exception_message": message}
    if variable:
        evidence["unknown_variable"] = variable
    optimizer = ctx.fit.optimizer
    notes = [f"Keras raised {code_span(f'{type_name}: {_short(message)}')}"]
    apply_call = _apply_call_at(tree, line) if tree is not None and line is not None else None
    if apply_call is not None:
        yield _train_step_finding(ctx, tree, apply_call, evidence, notes)
        return
    if optimizer is not None and optimizer.built_for_variables is not None:
        evidence["built_for_variables"] = optimizer.built_for_variables
    others = [e for e in ctx.earlier_fits if e.model_identity != ctx.fit.model_identity and optimizer is not None
              and e.optimizer is not None and e.optimizer.identity == optimizer.identity]
    if others:
        evidence["optimizer"] = optimizer.class_name
        evidence["models"] = [others[0].model_info.name, ctx.fit.model_info.name]
        evidence["first_fit_line"] = others[0].line
    shared = _shared_compile(tree, optimizer.class_name if optimizer is not None else "") if tree else None
    if shared is not None and not shared[3] and not others:
        shared = None  # a name passed to one `compile` only: shared only when the live models say so
    if others or shared is not None:
        yield _shared_finding(ctx, shared, others, evidence, notes)
        return
    same = [e for e in ctx.earlier_fits if e.model_identity == ctx.fit.model_identity]
    if same:
        evidence["first_fit_line"] = same[0].line
    first = f" at its first `fit` (line {same[0].line})" if same else ""
    added = _added_between(tree, same[0].line, ctx.fit.line) if tree is not None and same and ctx.fit.line else None
    if added is not None:
        evidence["added_line"] = added
        notes.append(f"line {added} adds to the model after that `fit`; the model was not compiled again")
    yield RULE.finding(
        f"the optimizer was built for the model's variables{first} and is now applied to variables it does "
        f"not know{' (`' + variable + '`)' if variable else ''}",
        line=added or line or ctx.fit.line, evidence=evidence, notes=notes,
        help="compile the model again after adding layers or variables, so that it gets a new optimizer")


def _added_between(tree: ast.Module, first: int | None, last: int) -> int | None:
    """The last ``model.add(...)`` between two ``fit`` lines (a layer added after the first)."""
    if first is None:
        return None
    lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "add" and first < node.lineno < last]
    return max(lines) if lines else None


def _mismatch(ctx: RuleContext) -> tuple[str, str, int | None, str | None] | None:
    for type_name, message, line in reversed(raised_errors(ctx)):  # fit's own exception first
        for expected, pattern in MISMATCH:
            found = pattern.search(message)
            if type_name == expected and found:
                return type_name, message, line, found.group(1) or None
    return None


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- one optimizer passed to two `compile` calls ---------------------------------------------

def _optimizer_arg(call: ast.Call) -> ast.expr | None:
    found = next((k.value for k in call.keywords if k.arg == "optimizer"), None)
    if found is None and call.args:
        found = call.args[0]
    return found


def _shared_compile(tree: ast.Module, class_name: str) -> tuple[str, ast.expr, ast.Call | None, bool] | None:
    """``(name, argument node, constructor call, passed twice)`` of the optimizer name passed to ``compile``.

    The name passed to two ``compile`` calls (its second one), else the one name passed once.
    """
    by_name: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            arg = _optimizer_arg(node)
            if isinstance(arg, ast.Name):
                by_name.setdefault(arg.id, []).append(arg)
    candidates = []
    for name, args in by_name.items():
        args.sort(key=lambda a: (a.lineno, a.col_offset))
        chosen = args[1] if len(args) > 1 else args[0]
        constructor = _constructor(tree, name, chosen.lineno)
        shared = len(args) > 1
        matches = constructor is not None and class_name and class_name in ast.unparse(constructor.func)
        candidates.append((not shared, not matches, chosen.lineno, name, chosen, constructor))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[:3])
    best = candidates[0]
    if best[0] and len(candidates) > 1:  # no name passed twice and several names: cannot tell which
        return None
    return best[3], best[4], best[5], not best[0]


def _constructor(tree: ast.Module, name: str, before: int) -> ast.Call | None:
    """The call assigned to ``name`` last before line ``before`` (``opt = keras.optimizers.Adam(1e-3)``)."""
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Assign) and node.lineno < before
             and isinstance(node.value, ast.Call) and any(isinstance(t, ast.Name) and t.id == name
                                                          for t in node.targets)]
    return max(found, key=lambda n: n.lineno).value if found else None


def _shared_finding(ctx: RuleContext, shared, others, evidence: dict, notes: list[str]) -> Finding:
    fixes: list[Fix] = []
    line = ctx.fit.line
    name = "the optimizer"
    if shared is not None:
        shared_name, arg, constructor, _ = shared
        line = arg.lineno
        name = f"`{shared_name}`"
        evidence["shared_name"] = shared_name
        if constructor is not None:
            evidence["created_line"] = constructor.lineno
            fix = _own_optimizer_fix(ctx.source.text, arg, constructor)
            fixes = [fix] if fix else []
    if others:
        notes.append(f"the `fit` on line {others[0].line} built it for the variables of `{others[0].model_info.name}`; "
                     f"`{ctx.fit.model_info.name}` has other variables")
    notes.append("a Keras 3 optimizer is built once, for the variables of its first step, and refuses any other")
    message = (f"the same optimizer {name} is passed to the `compile` of two models; it was built for the first "
               "model's variables and cannot update the second's")
    return RULE.finding(message, line=line, evidence=evidence, notes=notes, fixes=fixes,
                        help="give each model its own optimizer: construct a new one in each `compile`")


def _own_optimizer_fix(source: str, arg: ast.Name, constructor: ast.Call) -> Fix | None:
    code = ast.get_source_segment(source, constructor)
    if not code:
        return None
    patched = own_optimizer(source, arg.lineno, arg.id, code)
    return make_fix("own-optimizer", f"give this model an optimizer of its own (line {arg.lineno})", "safe",
                    source, patched, "each model's optimizer is then built for that model's variables")


# -- one optimizer applied to two sets of variables in a train_step ----------------------------

def _calls_of(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in APPLY_METHODS]


def _apply_call_at(tree: ast.Module, line: int) -> ast.Call | None:
    found = [c for c in _calls_of(tree) if c.lineno <= line <= (c.end_lineno or c.lineno)]
    return found[0] if found else None


def _train_step_finding(ctx: RuleContext, tree: ast.Module, call: ast.Call, evidence: dict,
                        notes: list[str]) -> Finding:
    optimizer = ast.unparse(call.func.value)
    function = _enclosing(tree, call.lineno)
    same = [c for c in _calls_of(function or tree) if ast.unparse(c.func.value) == optimizer]
    first = next((c.lineno for c in same if c.lineno < call.lineno), None)
    evidence.update({"optimizer_expression": optimizer, "apply_lines": [c.lineno for c in same]})
    where = f" on line {first}" if first else ""
    message = (f"`{optimizer}` was built for the variables of its first update{where} and is applied to "
               f"other variables on line {call.lineno}")
    fixes: list[Fix] = []
    spare = _unused_optimizer(tree, call, optimizer)
    if spare is not None:
        evidence["unused_optimizer"] = spare
        patched = apply_other_optimizer(ctx.source.text, call.lineno, call.func.attr, optimizer, spare)
        fix = make_fix("own-optimizer", f"apply `{spare}`, which no update uses yet (line {call.lineno})", "review",
                       ctx.source.text, patched, f"`{spare}` is made for the step but never applied")
        fixes = [fix] if fix else []
    help_text = (f"use `{spare}` here" if spare else
                 "give each set of variables its own optimizer (e.g. one for the generator, one for the discriminator)")
    return RULE.finding(message, line=call.lineno, evidence=evidence, notes=notes, fixes=fixes, help=help_text)


def _enclosing(tree: ast.Module, line: int) -> ast.AST | None:
    found = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.lineno <= line <= (n.end_lineno or n.lineno)]
    return max(found, key=lambda n: n.lineno) if found else None


def _unused_optimizer(tree: ast.Module, call: ast.Call, optimizer: str) -> str | None:
    """``self.g_optimizer`` when the class sets exactly one ``self.*optim*`` attribute no update applies."""
    if not optimizer.startswith("self."):
        return None
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
               and n.lineno <= call.lineno <= (n.end_lineno or n.lineno)]
    if not classes:
        return None
    owner = classes[-1]
    assigned = set()
    for node in ast.walk(owner):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "self" and "optim" in target.attr.lower()):
                    assigned.add(f"self.{target.attr}")
    applied = {ast.unparse(c.func.value) for c in _calls_of(owner)}
    unused = sorted(assigned - applied - {optimizer, "self.optimizer"})
    return unused[0] if len(unused) == 1 else None


RULE = Rule(code="GM013", name="optimizer-variable-mismatch", severity="error", detect=detect, doc=__doc__)
