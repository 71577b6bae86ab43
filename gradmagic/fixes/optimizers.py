"""Edits of the optimizer: its learning rate and other settings (``clipnorm``), and which optimizer a
``compile`` or an update uses."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes.imports import ensure_import

OPTIMIZER_CLASSES = {
    "adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
    "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam", "ftrl": "Ftrl", "lion": "Lion",
    "lamb": "Lamb", "adafactor": "Adafactor",
}


@dataclass(frozen=True)
class AppliedOptimizer:
    """The optimizer a custom train step applies (as recorded), to find its constructor in the source."""

    class_name: str | None
    learning_rate: float | None = None


def rate_code(value: float) -> str:
    """A learning rate as code: ``0.001``, ``1e-05``."""
    return format(value, "g")


def _optimizer_class(call: ast.Call) -> str | None:
    name = ast.unparse(call.func).rsplit(".", 1)[-1]
    return name if name in OPTIMIZER_CLASSES.values() else None


def _literal_rate(call: ast.Call) -> float | None:
    value = next((k.value for k in call.keywords if k.arg == "learning_rate"), call.args[0] if call.args else None)
    try:
        rate = ast.literal_eval(value) if value is not None else None
    except Exception:  # noqa: BLE001 - not a literal
        return None
    return float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None


def _constructed_optimizer(tree: ast.Module, wanted: AppliedOptimizer) -> int | None:
    """The line of the optimizer constructor that matches ``wanted`` (class, then learning rate)."""
    best, best_score = None, 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _optimizer_class(node) is None:
            continue
        score = 2 * (_optimizer_class(node) == wanted.class_name)
        rate = _literal_rate(node)
        if score and rate is not None and wanted.learning_rate is not None \
                and math.isclose(rate, wanted.learning_rate, rel_tol=1e-6):
            score += 1
        if score > best_score or (score == best_score and best is not None and node.lineno < best.lineno):
            best, best_score = node, score
    return best.lineno if best is not None else None


def _assignment_of(tree: ast.Module, name: str, before: int) -> ast.Call | None:
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.lineno < before and isinstance(node.value, ast.Call) \
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets) \
                and _optimizer_class(node.value):
            if found is None or node.lineno > found.lineno:
                found = node.value
    return found


def _compile_optimizer(call: ast.Call) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == "optimizer"), call.args[0] if call.args else None)


def optimizer_site(tree: ast.Module | None, fit_line: int | None,
                   applied: AppliedOptimizer | None = None) -> tuple[str, int] | None:
    """``("call", line)`` of the optimizer's constructor, or ``("compile", line)`` of the compile call
    whose optimizer is a string or missing. ``applied``: the optimizer a custom train step applies
    itself (when compile names none)."""
    call = cst_edit.compile_call(tree, fit_line)
    if call is None:
        return None
    value = _compile_optimizer(call)
    if value is None and applied is not None:
        line = _constructed_optimizer(tree, applied)
        if line is not None:
            return "call", line
    if isinstance(value, ast.Call) and _optimizer_class(value):
        return "call", value.lineno
    if isinstance(value, ast.Name):
        assigned = _assignment_of(tree, value.id, call.lineno)
        return ("call", assigned.lineno) if assigned is not None else None
    if value is None or (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return "compile", value.lineno if value is not None else call.lineno
    return None


def optimizer_line(tree: ast.Module | None, fit_line: int | None,
                   applied: AppliedOptimizer | None = None) -> int | None:
    """Where the optimizer is chosen: its constructor, else the ``compile`` call's argument."""
    site = optimizer_site(tree, fit_line, applied)
    return site[1] if site else None


def _is_optimizer_call(call: cst.Call) -> bool:
    return cst_edit.dotted_name(call.func).rsplit(".", 1)[-1] in OPTIMIZER_CLASSES.values()


def _with_settings(call: cst.Call, settings: Mapping[str, str]) -> cst.Call:
    for key, code in settings.items():
        positional = [arg for arg in call.args if arg.keyword is None]
        if key == "learning_rate" and cst_edit.keyword(call, key) is None and positional:
            args = [arg.with_changes(value=cst.parse_expression(code)) if arg is positional[0] else arg
                    for arg in call.args]
            call = call.with_changes(args=args)
        else:
            call = cst_edit.with_keyword(call, key, code)
    return call


def set_optimizer_arguments(source: str, fit_line: int | None, settings: Mapping[str, str],
                            applied: AppliedOptimizer | None = None) -> str | None:
    """The optimizer's keyword arguments set (name -> code, e.g. ``{"clipnorm": "1.0"}``).

    A string optimizer (``"adam"``) or a missing one (Keras's default, RMSprop) becomes
    ``keras.optimizers.Adam(...)``.
    """
    tree = cst_edit.syntax_tree(source)
    site = optimizer_site(tree, fit_line, applied)
    if site is None:
        return None
    kind, line = site
    if kind == "call":
        return cst_edit.rewrite_call(source, line, _is_optimizer_call, lambda call: _with_settings(call, settings))
    compile_node = cst_edit.compile_call(tree, fit_line)
    value = _compile_optimizer(compile_node)
    spelled = value.value.lower() if isinstance(value, ast.Constant) else "rmsprop"
    class_name = OPTIMIZER_CLASSES.get(spelled)
    if class_name is None:
        return None
    arguments = ", ".join(f"{key}={code}" for key, code in settings.items())
    code = f"keras.optimizers.{class_name}({arguments})"

    def rewrite(call: cst.Call) -> cst.Call | None:
        if cst_edit.keyword(call, "optimizer") is not None or value is None:
            return cst_edit.with_keyword(call, "optimizer", code)
        args = list(call.args)
        args[0] = args[0].with_changes(value=cst.parse_expression(code))
        return call.with_changes(args=args)

    patched = cst_edit.rewrite_call(source, compile_node.lineno, cst_edit.callee_is("compile"), rewrite)
    return ensure_import(patched) if patched else None


def set_learning_rate(source: str, fit_line: int | None, rate: float,
                      applied: AppliedOptimizer | None = None) -> str | None:
    """``learning_rate=<rate>`` on the optimizer of the model fitted on ``fit_line``."""
    return set_optimizer_arguments(source, fit_line, {"learning_rate": rate_code(rate)}, applied)


def own_optimizer(source: str, line: int, shared: str, constructor: str) -> str | None:
    """In the ``compile`` on ``line``, replace the optimizer passed as the name ``shared`` by a new one
    (``constructor``: the code that built it)."""
    replacement = cst.parse_expression(constructor)

    def rewrite(call: cst.Call) -> cst.BaseExpression | None:
        args = []
        changed = False
        for i, item in enumerate(call.args):
            is_optimizer = (item.keyword is not None and item.keyword.value == "optimizer") or (
                item.keyword is None and i == 0)
            if is_optimizer and not changed and isinstance(item.value, cst.Name) and item.value.value == shared:
                item = item.with_changes(value=replacement)
                changed = True
            args.append(item)
        return call.with_changes(args=args) if changed else None

    return cst_edit.rewrite_call(source, line, cst_edit.callee_is("compile"), rewrite)


def apply_other_optimizer(source: str, line: int, method: str, optimizer: str, other: str) -> str | None:
    """``<optimizer>.<method>(...)`` on ``line`` -> ``<other>.<method>(...)``."""
    replacement = cst.parse_expression(other)
    return cst_edit.rewrite_call(source, line, cst_edit.callee_is(method),
                                 lambda node: node.with_changes(func=node.func.with_changes(value=replacement))
                                 if cst_edit.code_of(node.func.value) == optimizer else None)
