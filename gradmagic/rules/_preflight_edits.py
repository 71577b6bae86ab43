"""libcst edits the GM1xx/GM2xx fixes combine: a head's loss, a layer's units or activation,
a layer added to a ``Sequential([...])`` list, a line of data preparation after the data."""

from __future__ import annotations

import ast
import re
from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from gradmagic.evidence.data_origin import last_assignment
from gradmagic.evidence.model_info import LayerInfo
from gradmagic.evidence.preflight import OutputCheck
from gradmagic.fixes import cst as cst_edit
from gradmagic.rules._shared import ensure_import

LOSS_CLASS_NAMES = {
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_crossentropy": "BinaryCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
}


# -- finding the compile call and a head's loss ----------------------------------------
def compile_call(tree: ast.Module | None, fit_line: int | None) -> ast.Call | None:
    """The ``.compile(...)`` call for the model fitted on ``fit_line``: the last one before it
    on the same receiver (``model.compile`` for ``model.fit``), else the last one before it."""
    if tree is None:
        return None
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "compile"]
    if not calls:
        return None
    receiver = None
    if fit_line is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("fit", "train_on_batch") and node.lineno <= fit_line <= (node.end_lineno or 0):
                receiver = ast.unparse(node.func.value)
    before = [c for c in calls if fit_line is None or c.lineno <= fit_line]
    same = [c for c in before if receiver and ast.unparse(c.func.value) == receiver]
    chosen = same or before or calls
    return max(chosen, key=lambda c: c.lineno)


def _loss_argument(call: ast.Call) -> ast.expr | None:
    keyword = next((k for k in call.keywords if k.arg == "loss"), None)
    if keyword is not None:
        return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _head_element(value: ast.expr, head: OutputCheck, heads: int) -> ast.expr:
    if heads > 1 and isinstance(value, ast.Dict):
        for key, element in zip(value.keys, value.values):
            if isinstance(key, ast.Constant) and key.value in (head.key, head.layer):
                return element
    if heads > 1 and isinstance(value, (ast.List, ast.Tuple)) and head.index < len(value.elts):
        return value.elts[head.index]
    return value


def loss_expression(tree: ast.Module | None, fit_line: int | None, head: OutputCheck, heads: int) -> ast.expr | None:
    call = compile_call(tree, fit_line)
    value = _loss_argument(call) if call is not None else None
    return _head_element(value, head, heads) if value is not None else None


def loss_line(tree: ast.Module | None, fit_line: int | None, head: OutputCheck, heads: int) -> int | None:
    """The line where this head's loss is written (the ``loss=`` of compile, or its dict entry)."""
    expression = loss_expression(tree, fit_line, head, heads)
    if expression is not None:
        return expression.lineno
    call = compile_call(tree, fit_line)
    return call.lineno if call is not None else None


def metrics_line(tree: ast.Module | None, fit_line: int | None) -> int | None:
    call = compile_call(tree, fit_line)
    if call is None:
        return None
    keyword = next((k for k in call.keywords if k.arg == "metrics"), None)
    return keyword.value.lineno if keyword is not None else call.lineno


class _Replace(cst.CSTTransformer):
    """Replace the expression spanning exactly ``(line, column, end line, end column)`` (ast positions)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, span: tuple[int, int, int, int], build: Callable[[cst.CSTNode], cst.CSTNode | None]) -> None:
        self.span, self.build = span, build
        self.done = False

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        if self.done or not isinstance(original, cst.BaseExpression):
            return updated
        position = self.get_metadata(PositionProvider, original, None)
        if position is None or (position.start.line, position.start.column, position.end.line,
                                position.end.column) != self.span:
            return updated
        replacement = self.build(updated)
        if replacement is None:
            return updated
        self.done = True
        return replacement


def replace_node(source: str, node: ast.expr, build: Callable[[cst.CSTNode], cst.CSTNode | None]) -> str | None:
    """Rewrite the expression that ``ast`` found at ``node``'s position."""
    span = (node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0)
    return cst_edit.transform(source, _Replace(span, build))


def _expression(code: str) -> Callable[[cst.CSTNode], cst.CSTNode]:
    return lambda node: _keep_parentheses(node, cst.parse_expression(code))


def _keep_parentheses(old: cst.CSTNode, new: cst.BaseExpression) -> cst.BaseExpression:
    return new.with_changes(lpar=old.lpar, rpar=old.rpar) if hasattr(old, "lpar") and old.lpar else new


def loss_code(name: str, from_logits: bool) -> str:
    """``"name"`` or ``keras.losses.Class(from_logits=True)`` for a built-in loss function name."""
    if from_logits and name in LOSS_CLASS_NAMES:
        return f"keras.losses.{LOSS_CLASS_NAMES[name]}(from_logits=True)"
    return f'"{name}"'


def set_head_loss(source: str, tree: ast.Module | None, fit_line: int | None, head: OutputCheck, heads: int,
                  code: str) -> str | None:
    """Replace this head's loss expression in compile (the whole ``loss=`` for one head)."""
    expression = loss_expression(tree, fit_line, head, heads)
    if expression is None:
        return None
    patched = replace_node(source, expression, _expression(code))
    return ensure_import(patched) if patched and "keras." in code else patched


def set_from_logits(source: str, tree: ast.Module | None, fit_line: int | None, head: OutputCheck, heads: int,
                    value: bool) -> str | None:
    """Set ``from_logits`` on this head's loss: on the loss object's call where there is one
    (also when it is built on an earlier line and passed by name), else as a new loss object."""
    expression = loss_expression(tree, fit_line, head, heads)
    if expression is None:
        return None
    target = expression
    if isinstance(expression, ast.Name) and tree is not None:
        statement = last_assignment(tree, fit_line or expression.lineno, expression.id)
        if statement is not None and isinstance(getattr(statement, "value", None), ast.Call):
            target = statement.value
    if isinstance(target, ast.Call):
        def build(node: cst.CSTNode) -> cst.CSTNode | None:
            if not isinstance(node, cst.Call):
                return None
            return cst_edit.with_keyword(node, "from_logits", "True") if value else \
                cst_edit.without_keyword(node, "from_logits")
        return replace_node(source, target, build)
    if head.loss.name is None or not value:
        return None
    return set_head_loss(source, tree, fit_line, head, heads, loss_code(head.loss.name, True))


ACCURACY = {"accuracy", "acc", "Accuracy", "binary_accuracy", "categorical_accuracy", "BinaryAccuracy",
            "CategoricalAccuracy"}


def replace_accuracy_metrics(source: str | None, fit_line: int | None) -> str | None:
    """Replace every accuracy-type string in compile's ``metrics=`` by ``"mae"``."""
    for _ in range(8):
        if source is None:
            return None
        tree = ast.parse(source)
        call = compile_call(tree, fit_line)
        keyword = next((k for k in call.keywords if k.arg == "metrics"), None) if call else None
        node = next((n for n in ast.walk(keyword.value) if isinstance(n, ast.Constant) and n.value in ACCURACY),
                    None) if keyword is not None else None
        if node is None:
            return source
        source = replace_node(source, node, lambda old: cst.SimpleString('"mae"'))
    return source


# -- editing layers --------------------------------------------------------------------
class _NthCall(cst.CSTTransformer):
    """Rewrite the ``index``-th call on ``line`` (in source order) whose callee ends in ``class_name``."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, class_name: str, index: int,
                 rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> None:
        self.line, self.class_name, self.index, self.rewrite = line, class_name, index, rewrite
        self.seen = 0
        self.target: cst.Call | None = None
        self.done = False

    def visit_Call(self, node: cst.Call) -> None:
        if self.target is not None:
            return
        position = self.get_metadata(PositionProvider, node)
        if position.start.line == self.line and cst_edit.dotted_name(node.func).rsplit(".", 1)[-1] == self.class_name:
            if self.seen == self.index:
                self.target = node
            self.seen += 1

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if original is not self.target or self.done:
            return updated
        replacement = self.rewrite(updated)
        if replacement is None:
            return updated
        self.done = True
        return replacement


def _occurrence(layers: list[LayerInfo], layer: LayerInfo) -> int:
    same = [other for other in layers if other.line == layer.line and other.class_name == layer.class_name]
    return next((i for i, other in enumerate(same) if other.name == layer.name), 0)


def rewrite_layer(source: str, layers: list[LayerInfo], layer: LayerInfo | None,
                  rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> str | None:
    """Rewrite the call that created ``layer`` (found by its line and class)."""
    if layer is None or layer.line is None:
        return None
    return cst_edit.transform(source, _NthCall(layer.line, layer.class_name, _occurrence(layers, layer), rewrite))


UNITS_POSITION = {"Dense": 0, "Conv1D": 0, "Conv2D": 0, "Conv3D": 0, "EinsumDense": None}


def set_units(source: str, layers: list[LayerInfo], layer: LayerInfo | None, units: int) -> str | None:
    """``Dense(1)`` -> ``Dense(10)`` (the first positional argument or ``units=``/``filters=``)."""
    if layer is None or layer.class_name not in UNITS_POSITION:
        return None

    def rewrite(call: cst.Call) -> cst.Call | None:
        for keyword_name in ("units", "filters"):
            if cst_edit.keyword(call, keyword_name) is not None:
                return cst_edit.with_keyword(call, keyword_name, str(units))
        if call.args and call.args[0].keyword is None:
            args = [call.args[0].with_changes(value=cst.Integer(str(units))), *call.args[1:]]
            return call.with_changes(args=args)
        return None

    return rewrite_layer(source, layers, layer, rewrite)


def set_activation(source: str, layers: list[LayerInfo], layer: LayerInfo | None, activation: str | None) -> str | None:
    """Set (or, with None, remove) the activation the layer applies.

    ``Dense(..., activation=...)`` gets the keyword changed or dropped; an ``Activation``/``Softmax``
    layer is replaced by ``Activation("<name>")``, or removed from its list / unwrapped when None.
    """
    if layer is None:
        return None
    if layer.class_name in ("Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU"):
        if activation is None:
            removed = remove_layer(source, layers, layer)
            if removed is not None:
                return removed
            activation = "linear"  # a `model.add(Activation(...))` statement: keep it, make it the identity

        def swap(call: cst.Call) -> cst.BaseExpression:
            prefix = cst_edit.dotted_name(call.func).rsplit(".", 1)[0]
            prefix = f"{prefix}." if "." in cst_edit.dotted_name(call.func) else ""
            return cst.parse_expression(f'{prefix}Activation("{activation}")')

        return rewrite_layer(source, layers, layer, swap)

    def rewrite(call: cst.Call) -> cst.Call:
        positional = [arg for arg in call.args if arg.keyword is None]
        if cst_edit.keyword(call, "activation") is None and len(positional) >= 2:
            position = call.args.index(positional[1])
            if activation is None:
                args = [arg for i, arg in enumerate(call.args) if i != position]
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return call.with_changes(args=args)
            args = list(call.args)
            args[position] = args[position].with_changes(value=cst.SimpleString(f'"{activation}"'))
            return call.with_changes(args=args)
        if activation is None:
            return cst_edit.without_keyword(call, "activation")
        return cst_edit.with_keyword(call, "activation", f'"{activation}"')

    return rewrite_layer(source, layers, layer, rewrite)


class _ListEdit(cst.CSTTransformer):
    """Insert an element before/after, or remove, the list element holding ``target``."""

    def __init__(self, target: cst.Call, mode: str, code: str | None = None) -> None:
        self.target, self.mode, self.code = target, mode, code
        self.done = False

    def leave_List(self, original: cst.List, updated: cst.List) -> cst.BaseExpression:
        if self.done:
            return updated
        index = next((i for i, element in enumerate(original.elements) if _holds(element.value, self.target)), None)
        if index is None:
            return updated
        elements = list(updated.elements)
        if self.mode == "remove":
            del elements[index]
            if elements and index == len(elements):
                elements[-1] = elements[-1].with_changes(comma=updated.elements[index].comma)
        else:
            template = elements[index]
            separators = [e.comma for e in elements[:-1] if isinstance(e.comma, cst.Comma)]
            sep = separators[0] if separators else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            new = cst.Element(value=cst.parse_expression(self.code or ""), comma=sep)
            if self.mode == "before":
                elements.insert(index, new)
            else:
                elements[index] = template.with_changes(comma=sep)
                elements.insert(index + 1, new.with_changes(comma=template.comma))
        self.done = True
        return updated.with_changes(elements=elements)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        # functional style: `keras.layers.Softmax()(h)` -> `h`
        if self.mode == "remove" and not self.done and original.func is self.target and updated.args:
            self.done = True
            return updated.args[0].value
        return updated


def _holds(value: cst.BaseExpression, target: cst.Call) -> bool:
    return value is target or (isinstance(value, cst.Call) and value.func is target)


def _layer_call(source: str, layers: list[LayerInfo], layer: LayerInfo) -> tuple[cst.Module, cst.Call] | None:
    try:
        wrapper = MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError:
        return None
    finder = _NthCall(layer.line or 0, layer.class_name, _occurrence(layers, layer), lambda call: None)
    wrapper.visit(finder)
    return (wrapper.module, finder.target) if finder.target is not None else None


def _edit_list(source: str, layers: list[LayerInfo], layer: LayerInfo | None, mode: str,
               code: str | None = None) -> str | None:
    if layer is None or layer.line is None:
        return None
    found = _layer_call(source, layers, layer)
    if found is None:
        return None
    module, target = found
    transformer = _ListEdit(target, mode, code)
    result = module.visit(transformer)
    if not transformer.done:
        return None
    return ensure_import(result.code) if code and "keras." in code else result.code


def remove_layer(source: str, layers: list[LayerInfo], layer: LayerInfo | None) -> str | None:
    return _edit_list(source, layers, layer, "remove")


def insert_layer(source: str, layers: list[LayerInfo], anchor: LayerInfo | None, code: str,
                 where: str = "before") -> str | None:
    """Add ``code`` (a layer expression) to the ``Sequential([...])`` list, next to ``anchor``."""
    return _edit_list(source, layers, anchor, where, code)


# -- data preparation lines ------------------------------------------------------------
def numpy_alias(source: str) -> tuple[str, str]:
    """The name numpy is imported as, and the source with ``import numpy as np`` added if missing."""
    found = re.search(r"^\s*import numpy as (\w+)", source, re.M)
    if found:
        return found.group(1), source
    if re.search(r"^\s*import numpy\s*$", source, re.M):
        return "numpy", source
    return "np", "import numpy as np\n" + source


def insert_data_lines(source: str, line: int, text: str) -> str:
    """Insert data-preparation ``text`` after the statement on ``line``; ``{np}`` is numpy's alias."""
    alias, with_import = numpy_alias(source) if "{np}" in text else ("np", source)
    shift = with_import.count("\n") - source.count("\n")
    return cst_edit.insert_after_line(with_import, line + shift, text.replace("{np}", alias))
