"""Edits of how a layer makes its weights: a raw ``tf.Variable`` attribute becomes ``self.add_weight``,
an integer weight becomes float."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes.imports import ensure_import

ONE_TO_ONE_INITIALIZERS = {"zeros": '"zeros"', "ones": '"ones"'}
RANDOM_INITIALIZERS = {"normal": '"random_normal"', "uniform": '"random_uniform"',
                       "truncated_normal": '"truncated_normal"'}


@dataclass(frozen=True)
class AddWeight:
    """The rewritten source, and whether the new weight starts from exactly the old values (a random
    initial value is drawn again: the user must review it)."""

    source: str
    exact: bool


def _last_name(call: cst.Call) -> str:
    return cst_edit.dotted_name(call.func).rsplit(".", 1)[-1]


def _add_weight_code(call: cst.Call, shape: tuple[int, ...],
                     keep_trainable: bool = True) -> tuple[str | None, bool]:
    """``self.add_weight(...)`` code equivalent to ``tf.Variable(call...)``, and whether it is one to one."""
    initial = cst_edit.keyword(call, "initial_value") or next((a for a in call.args if a.keyword is None), None)
    if initial is None:
        return None, False
    value = initial.value
    shape_code = repr(tuple(shape))
    exact = True
    if isinstance(value, (cst.Integer, cst.Float)) or (
            isinstance(value, cst.UnaryOperation) and isinstance(value.expression, (cst.Integer, cst.Float))):
        initializer = f"keras.initializers.Constant({cst_edit.code_of(value)})"
    elif isinstance(value, cst.Call) and _last_name(value) in ONE_TO_ONE_INITIALIZERS and value.args:
        initializer = ONE_TO_ONE_INITIALIZERS[_last_name(value)]
        shape_code = cst_edit.code_of(value.args[0].value)
    elif isinstance(value, cst.Call) and _last_name(value) in RANDOM_INITIALIZERS and value.args:
        initializer = RANDOM_INITIALIZERS[_last_name(value)]
        shape_code = cst_edit.code_of(value.args[0].value)
        exact = False
    else:
        initializer = f"keras.initializers.Constant({cst_edit.code_of(value)})"
        exact = False
    parts = [f"shape={shape_code}", f"initializer={initializer}"]
    for name in ("dtype", "trainable", "name"):
        argument = cst_edit.keyword(call, name)
        if argument is not None and (keep_trainable or name != "trainable"):
            parts.append(f"{name}={cst_edit.code_of(argument.value)}")
    return f"self.add_weight({', '.join(parts)})", exact


def variable_to_add_weight(source: str, line: int, shape: tuple[int, ...],
                           keep_trainable: bool = True) -> AddWeight | None:
    """``tf.Variable(<initial>, ...)`` on ``line`` -> ``self.add_weight(shape=..., initializer=...)``
    (``shape``: the variable's shape, used when the initial value does not spell it;
    ``keep_trainable=False`` drops a ``trainable=False``)."""
    exact: list[bool] = []

    def rewrite(call: cst.Call) -> cst.BaseExpression | None:
        code, one_to_one = _add_weight_code(call, shape, keep_trainable)
        exact.append(one_to_one)
        return cst.parse_expression(code) if code else None

    patched = cst_edit.rewrite_call(source, line, cst_edit.callee_is("Variable"), rewrite)
    if patched is None:
        return None
    if "keras." in patched and "keras." not in source:
        patched = ensure_import(patched)
    return AddWeight(patched, exact=bool(exact) and exact[0])


def float_dtype(source: str, line: int) -> str | None:
    """``self.add_weight(..., dtype=<integer>)`` on ``line`` -> ``dtype="float32"``."""
    return cst_edit.set_keyword_at(source, line, ("add_weight",), "dtype", '"float32"')
