"""Edits of the loss a model trains with: ``compile(loss=...)`` for the model or one output head,
``from_logits``, a metric class passed as the loss, and a reshape inside a custom loss."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes.imports import with_keras_import

LOSS_CLASS_NAMES = {
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_crossentropy": "BinaryCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
}


@dataclass(frozen=True)
class HeadLoss:
    """Which loss of ``compile`` to edit: the compile of the model fitted on ``fit_line``, and in a
    dict or list of losses (``heads`` > 1) the entry named one of ``names`` or at ``index``."""

    fit_line: int | None
    index: int = 0
    names: tuple[str, ...] = ()
    heads: int = 1


def loss_code(name: str, from_logits: bool) -> str:
    """``"name"`` or ``keras.losses.Class(from_logits=True)`` for a built-in loss function name."""
    if from_logits and name in LOSS_CLASS_NAMES:
        return f"keras.losses.{LOSS_CLASS_NAMES[name]}(from_logits=True)"
    return f'"{name}"'


def _loss_argument(call: ast.Call) -> ast.expr | None:
    keyword = next((k for k in call.keywords if k.arg == "loss"), None)
    if keyword is not None:
        return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _head_element(value: ast.expr, head: HeadLoss) -> ast.expr:
    if head.heads > 1 and isinstance(value, ast.Dict):
        for key, element in zip(value.keys, value.values):
            if isinstance(key, ast.Constant) and key.value in head.names:
                return element
    if head.heads > 1 and isinstance(value, (ast.List, ast.Tuple)) and head.index < len(value.elts):
        return value.elts[head.index]
    return value


def loss_expression(tree: ast.Module | None, head: HeadLoss) -> ast.expr | None:
    """The expression that gives this head its loss in ``compile``, or None."""
    call = cst_edit.compile_call(tree, head.fit_line)
    value = _loss_argument(call) if call is not None else None
    return _head_element(value, head) if value is not None else None


def loss_line(tree: ast.Module | None, head: HeadLoss) -> int | None:
    """The line where this head's loss is written (the ``loss=`` of compile, or its dict entry)."""
    expression = loss_expression(tree, head)
    if expression is not None:
        return expression.lineno
    call = cst_edit.compile_call(tree, head.fit_line)
    return call.lineno if call is not None else None


def _keep_parentheses(old: cst.CSTNode, new: cst.BaseExpression) -> cst.BaseExpression:
    return new.with_changes(lpar=old.lpar, rpar=old.rpar) if getattr(old, "lpar", None) else new


def set_head_loss(source: str, head: HeadLoss, code: str) -> str | None:
    """Replace this head's loss expression in compile (the whole ``loss=`` for one head) by ``code``."""
    expression = loss_expression(cst_edit.syntax_tree(source), head)
    if expression is None:
        return None
    patched = cst_edit.replace_node(source, expression,
                                    lambda node: _keep_parentheses(node, cst.parse_expression(code)))
    return with_keras_import(patched, code)


def set_from_logits(source: str, head: HeadLoss, value: bool, builtin_name: str | None = None,
                    assigned_on: int | None = None) -> str | None:
    """Set ``from_logits`` on this head's loss object: on its call in compile, or on the call of the
    assignment on ``assigned_on`` when compile names an object built earlier (``loss=loss_fn``).
    A built-in loss given by name (``builtin_name``) becomes a loss object with ``from_logits=True``."""
    tree = cst_edit.syntax_tree(source)
    expression = loss_expression(tree, head)
    if expression is None:
        return None
    target: ast.expr = expression
    if isinstance(expression, ast.Name) and assigned_on is not None and tree is not None:
        statement = next((node for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
                          and node.lineno == assigned_on and isinstance(node.value, ast.Call)), None)
        if statement is not None:
            target = statement.value
    if isinstance(target, ast.Call):
        def build(node: cst.CSTNode) -> cst.CSTNode | None:
            if not isinstance(node, cst.Call):
                return None
            return cst_edit.with_keyword(node, "from_logits", "True") if value else \
                cst_edit.without_keyword(node, "from_logits")
        return cst_edit.replace_node(source, target, build)
    if builtin_name is None or not value:
        return None
    return set_head_loss(source, head, loss_code(builtin_name, True))


def set_compile_loss(source: str, code: str, line: int | None = None) -> str | None:
    """``compile(..., loss=<code>)`` on the ``compile`` call spanning ``line`` (the first one when None),
    with ``import keras`` added when the code needs it."""
    return with_keras_import(cst_edit.set_keyword_at(source, line, ("compile",), "loss", code), code)


def metric_to_loss(source: str, class_name: str) -> str | None:
    """``keras.metrics.<class_name>(...)`` -> ``keras.losses.<class_name>(...)`` (the first such call)."""
    return cst_edit.replace_call_at(
        source, None, lambda call: cst_edit.dotted_name(call.func).endswith(f"metrics.{class_name}"),
        lambda call: cst_edit.code_of(call).replace(f"metrics.{class_name}", f"losses.{class_name}", 1))


def _with_entry(node: cst.Dict, key: str, code: str) -> cst.Dict:
    value = cst.parse_expression(code)
    elements = list(node.elements)
    for i, element in enumerate(elements):
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) \
                and element.key.evaluated_value == key:
            elements[i] = element.with_changes(value=value)
            return node.with_changes(elements=elements)
    quote = next((e.key.quote for e in elements if isinstance(e, cst.DictElement)
                  and isinstance(e.key, cst.SimpleString)), '"')
    if elements and elements[-1].comma is cst.MaybeSentinel.DEFAULT:
        elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    elements.append(cst.DictElement(key=cst.SimpleString(f"{quote}{key}{quote}"), value=value))
    return node.with_changes(elements=elements)


def set_loss_entry(source: str, keys: list[str], key: str, code: str) -> str | None:
    """In the dict of losses whose keys are exactly ``keys``, set (or add) ``key: <code>``."""
    return with_keras_import(cst_edit.edit_dict(source, keys, lambda node: _with_entry(node, key, code)), code)


class _LossListItem(cst.CSTTransformer):
    def __init__(self, index: int, code: str) -> None:
        self.index, self.code = index, code
        self.done = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        name = updated.func.attr.value if isinstance(updated.func, cst.Attribute) else ""
        argument = cst_edit.keyword(updated, "loss")
        if self.done or name != "compile" or argument is None or not isinstance(argument.value, cst.List):
            return updated
        elements = list(argument.value.elements)
        value = cst.parse_expression(self.code)
        if self.index < len(elements):
            elements[self.index] = elements[self.index].with_changes(value=value)
        else:
            if elements and elements[-1].comma is cst.MaybeSentinel.DEFAULT:
                elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            elements.append(cst.Element(value=value))
        self.done = True
        new_list = argument.value.with_changes(elements=elements)
        return updated.with_changes(args=[a.with_changes(value=new_list) if a is argument else a
                                          for a in updated.args])


def set_loss_item(source: str, index: int, code: str) -> str | None:
    """Put ``code`` at ``index`` of the list passed as ``compile(loss=[...])`` (appended past its end)."""
    return with_keras_import(cst_edit.transform(source, _LossListItem(index, code)), code)


def reshape_targets_in_loss(source: str, line: int, y_true: str, y_pred: str) -> str | None:
    """Insert ``y_true = keras.ops.reshape(y_true, keras.ops.shape(y_pred))`` before the statement on
    ``line`` (the first of a custom loss's ``call``)."""
    code = f"{y_true} = keras.ops.reshape({y_true}, keras.ops.shape({y_pred}))"
    return with_keras_import(cst_edit.insert_around_statement(source, line, before=code), code)
