"""Edits of the calls that make layers: their size, activation and keyword arguments, and layers
added to or removed from a ``Sequential([...])`` list."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes.imports import with_keras_import

#: layers that only apply an activation: swapping it replaces the whole layer
ACTIVATION_LAYERS = ("Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU")
#: layers whose size is their first positional argument or one of these keywords
SIZE_KEYWORDS = {"Dense": ("units",), "Conv1D": ("filters",), "Conv2D": ("filters",), "Conv3D": ("filters",),
                 "Embedding": ("input_dim",), "CategoryEncoding": ("num_tokens",)}


@dataclass(frozen=True)
class LayerCall:
    """Where a layer is made: the ``occurrence``-th call of ``class_name`` that starts on ``line``."""

    line: int
    class_name: str
    occurrence: int = 0


class _FindCall(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, layer: LayerCall) -> None:
        self.layer = layer
        self.starting: list[cst.Call] = []
        self.spanning: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        if cst_edit.dotted_name(node.func).rsplit(".", 1)[-1] != self.layer.class_name:
            return
        position = self.get_metadata(PositionProvider, node)
        if position.start.line == self.layer.line:
            self.starting.append(node)
        elif position.start.line <= self.layer.line <= position.end.line:
            self.spanning.append(node)

    def found(self) -> cst.Call | None:
        if len(self.starting) == 1:  # one call can make several layers (a comprehension)
            return self.starting[0]
        if self.starting:
            index = self.layer.occurrence
            return self.starting[index] if index < len(self.starting) else None
        return self.spanning[-1] if self.spanning else None  # the innermost call around the line


def _layer_call(source: str, layer: LayerCall) -> tuple[cst.Module, cst.Call] | None:
    wrapper = cst_edit.parse(source)
    if wrapper is None:
        return None
    finder = _FindCall(layer)
    wrapper.visit(finder)
    target = finder.found()
    return (wrapper.module, target) if target is not None else None


class _RewriteCall(cst.CSTTransformer):
    def __init__(self, target: cst.Call, rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> None:
        self.target, self.rewrite = target, rewrite
        self.done = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if original is not self.target:
            return updated
        replacement = self.rewrite(updated)
        if replacement is None:
            return updated
        self.done = True
        return replacement


def rewrite_layer(source: str, layer: LayerCall | None,
                  rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> str | None:
    """Rewrite the call that makes ``layer`` with ``rewrite`` (which returns None to give up)."""
    found = _layer_call(source, layer) if layer is not None else None
    if found is None:
        return None
    module, target = found
    transformer = _RewriteCall(target, rewrite)
    result = module.visit(transformer)
    return result.code if transformer.done else None


def layer_keyword(source: str, layer: LayerCall | None, name: str) -> str | None:
    """The code of the ``name=`` argument of the call that makes ``layer``, or None."""
    found = _layer_call(source, layer) if layer is not None else None
    argument = cst_edit.keyword(found[1], name) if found is not None else None
    return cst_edit.code_of(argument.value) if argument is not None else None


def set_layer_keyword(source: str, layer: LayerCall | None, name: str, code: str) -> str | None:
    """``Dense(8, name=<old>)`` or ``Dense(8)`` -> ``Dense(8, name=<code>)``."""
    return rewrite_layer(source, layer, lambda call: cst_edit.with_keyword(call, name, code))


def set_size(source: str, layer: LayerCall | None, size: int, keywords: tuple[str, ...] = ()) -> str | None:
    """``Dense(1)`` -> ``Dense(10)``: the size keyword (``units=``, ``filters=``, ``input_dim=`` ...) when
    given, else the first positional argument. ``keywords`` defaults to the layer class's own."""
    if layer is None:
        return None
    names = keywords or SIZE_KEYWORDS.get(layer.class_name)
    if not names:
        return None

    def rewrite(call: cst.Call) -> cst.Call | None:
        for keyword_name in names:
            if cst_edit.keyword(call, keyword_name) is not None:
                return cst_edit.with_keyword(call, keyword_name, str(size))
        if call.args and call.args[0].keyword is None:
            return call.with_changes(args=[call.args[0].with_changes(value=cst.Integer(str(size))), *call.args[1:]])
        return None

    return rewrite_layer(source, layer, rewrite)


def set_activation(source: str, layer: LayerCall | None, activation: str | None,
                   add_missing: bool = True) -> str | None:
    """Set (or, with None, remove) the activation the layer applies.

    ``Dense(..., activation=...)`` (or its second positional argument) gets the value changed or
    dropped; without one, ``activation=`` is added unless ``add_missing`` is False. An ``Activation``,
    ``Softmax``, ``ReLU``... layer becomes ``Activation("<name>")``, or with None is removed from its
    list, unwrapped, or (a ``model.add(...)`` statement) made ``Activation("linear")``.
    """
    if layer is None:
        return None
    if layer.class_name in ACTIVATION_LAYERS:
        if activation is None:
            removed = remove_layer(source, layer)
            if removed is not None:
                return removed
            activation = "linear"

        def swap(call: cst.Call) -> cst.BaseExpression:
            dotted = cst_edit.dotted_name(call.func)
            prefix = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
            return cst.parse_expression(f'{prefix}Activation("{activation}")')

        return rewrite_layer(source, layer, swap)

    def rewrite(call: cst.Call) -> cst.Call | None:
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
        if cst_edit.keyword(call, "activation") is None and not add_missing:
            return None
        return cst_edit.with_keyword(call, "activation", f'"{activation}"')

    return rewrite_layer(source, layer, rewrite)


def edit_each_line(source: str, layers: Sequence[LayerCall | None],
                   edit: Callable[[str, LayerCall], str | None]) -> str | None:
    """Apply ``edit(source, layer)`` once per distinct line (a comprehension makes many layers on one);
    None when a layer's call is unknown, one edit cannot apply, or nothing changes."""
    seen: set[int] = set()
    text = source
    for layer in layers:
        if layer is None:
            return None
        if layer.line in seen:
            continue
        seen.add(layer.line)
        patched = edit(text, layer)
        if patched is None:
            return None
        text = patched
    return text if text != source else None


def set_layer_keywords(source: str, settings: Sequence[tuple[LayerCall | None, Mapping[str, str]]]) -> str | None:
    """Set keyword arguments (name -> code) on several layers' calls, once per line."""
    wanted = {layer: keywords for layer, keywords in settings}

    def edit(text: str, layer: LayerCall) -> str | None:
        for name, code in wanted[layer].items():
            patched = set_layer_keyword(text, layer, name, code)
            if patched is None:
                return None
            text = patched
        return text

    return edit_each_line(source, [layer for layer, _ in settings], edit)


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
            if elements and index == len(elements):  # the new last element: its comment stays on its line
                before = elements[-1].comma
                comment = before.whitespace_after.first_line if isinstance(before, cst.Comma) and isinstance(
                    before.whitespace_after, cst.ParenthesizedWhitespace) else None
                closing = updated.rbracket.whitespace_before
                elements[-1] = elements[-1].with_changes(comma=updated.elements[index].comma)
                if comment is not None and isinstance(closing, cst.ParenthesizedWhitespace):
                    updated = updated.with_changes(rbracket=updated.rbracket.with_changes(
                        whitespace_before=closing.with_changes(first_line=comment)))
        else:
            template = elements[index]
            separators = [e.comma for e in elements[:-1] if isinstance(e.comma, cst.Comma)]
            sep = _bare(separators[0]) if separators else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            new = cst.Element(value=cst.parse_expression(self.code or ""), comma=sep)
            if self.mode == "before":
                elements.insert(index, new)
            elif index < len(elements) - 1:
                elements.insert(index + 1, new)
            else:  # after the last element: the new one ends the list, the old one keeps its comment
                closing = updated.rbracket.whitespace_before
                comment = closing.first_line if isinstance(closing, cst.ParenthesizedWhitespace) else None
                own = sep
                if comment is not None and isinstance(sep.whitespace_after, cst.ParenthesizedWhitespace):
                    own = sep.with_changes(whitespace_after=sep.whitespace_after.with_changes(first_line=comment))
                    updated = updated.with_changes(rbracket=updated.rbracket.with_changes(
                        whitespace_before=closing.with_changes(first_line=cst.TrailingWhitespace())))
                elements[index] = template.with_changes(comma=own)
                elements.append(new.with_changes(comma=template.comma))
        self.done = True
        return updated.with_changes(elements=elements)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        # functional style: `keras.layers.Softmax()(h)` -> `h`
        if self.mode == "remove" and not self.done and original.func is self.target and updated.args:
            self.done = True
            return updated.args[0].value
        return updated


def _bare(comma: cst.Comma) -> cst.Comma:
    """A copy of a list's separator without the comments after it (they belong to their own element)."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        return comma.with_changes(whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace(),
                                                                      empty_lines=[]))
    return comma


def _holds(value: cst.BaseExpression, target: cst.Call) -> bool:
    return value is target or (isinstance(value, cst.Call) and value.func is target)


def _edit_list(source: str, layer: LayerCall | None, mode: str, code: str | None = None) -> str | None:
    found = _layer_call(source, layer) if layer is not None else None
    if found is None:
        return None
    module, target = found
    transformer = _ListEdit(target, mode, code)
    result = module.visit(transformer)
    if not transformer.done:
        return None
    return with_keras_import(result.code, code or "")


def remove_layer(source: str, layer: LayerCall | None) -> str | None:
    """Drop the layer from its ``Sequential([...])`` list, or unwrap ``Layer()(h)`` to ``h``."""
    return _edit_list(source, layer, "remove")


def insert_layer(source: str, anchor: LayerCall | None, code: str, where: str = "before") -> str | None:
    """Add ``code`` (a layer expression) to the ``Sequential([...])`` list, ``where`` is "before" or
    "after" ``anchor``; ``import keras`` is added when the code needs it."""
    return _edit_list(source, anchor, where, code)


def replace_assigned_initializer(source: str, line: int, name: str, constructor: str) -> str | None:
    """``name = <old>`` on ``line`` -> ``name = keras.initializers.<constructor>()`` (a shared initialiser)."""
    code = f"keras.initializers.{constructor}()"
    return with_keras_import(cst_edit.replace_assigned_value(source, line, name, code), code)
