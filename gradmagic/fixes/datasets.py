"""Edits of what the data yields: ``(x, y)`` tuples instead of lists or dicts, a dataset built from
features and labels."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes import cst as cst_edit


class _ReturnedValue(cst.CSTTransformer):
    """Rewrite the value of the ``yield`` or ``return`` that spans ``line``."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, rewrite: Callable[[cst.BaseExpression], cst.BaseExpression | None]) -> None:
        self.line, self.rewrite = line, rewrite
        self.done = False

    def _at_line(self, node: cst.CSTNode) -> bool:
        position = self.get_metadata(PositionProvider, node)
        return position.start.line <= self.line <= position.end.line

    def leave_Yield(self, original: cst.Yield, updated: cst.Yield) -> cst.Yield:
        if self.done or not self._at_line(original) or not isinstance(updated.value, cst.BaseExpression):
            return updated
        value = self.rewrite(updated.value)
        if value is None:
            return updated
        self.done = True
        return updated.with_changes(value=value)

    def leave_Return(self, original: cst.Return, updated: cst.Return) -> cst.Return:
        if self.done or not self._at_line(original) or updated.value is None:
            return updated
        value = self.rewrite(updated.value)
        if value is None:
            return updated
        self.done = True
        return updated.with_changes(value=value)


def _returned_value(source: str, line: int,
                    rewrite: Callable[[cst.BaseExpression], cst.BaseExpression | None]) -> str | None:
    return cst_edit.transform(source, _ReturnedValue(line, rewrite))


def yield_tuple(source: str, line: int) -> str | None:
    """``yield [a, b]`` -> ``yield a, b``; ``return [a, b]`` -> ``return a, b`` on ``line``."""

    def as_tuple(value: cst.BaseExpression) -> cst.BaseExpression | None:
        if not isinstance(value, cst.List) or not value.elements:
            return None
        return cst.Tuple(elements=value.elements, lpar=[], rpar=[])

    return _returned_value(source, line, as_tuple)


def split_labels(source: str, line: int, label: str) -> str | None:
    """``yield {"features": a, "target": b}`` -> ``yield a, b`` (``label``: the key of the targets);
    the other entries stay a dict when there are several."""

    def split(value: cst.BaseExpression) -> cst.BaseExpression | None:
        if not isinstance(value, cst.Dict):
            return None
        labels = [e for e in value.elements if isinstance(e, cst.DictElement)
                  and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == label]
        rest = [e for e in value.elements if e not in labels]
        if len(labels) != 1 or not rest or not all(isinstance(e, cst.DictElement) for e in rest):
            return None
        inputs = rest[0].value if len(rest) == 1 else value.with_changes(
            elements=[e.with_changes(comma=cst.MaybeSentinel.DEFAULT) if i == len(rest) - 1 else e
                      for i, e in enumerate(rest)])
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return cst.Tuple(elements=[cst.Element(inputs, comma=comma), cst.Element(labels[0].value)], lpar=[], rpar=[])

    return _returned_value(source, line, split)


def with_labels(source: str, line: int, method: str, labels: str) -> str | None:
    """``<...>.<method>(features, ...)`` on ``line`` -> ``<...>.<method>((features, labels), ...)``
    (``from_tensor_slices``)."""

    def pair(node: cst.Call) -> cst.BaseExpression | None:
        if not node.args or node.args[0].keyword is not None:
            return None
        features = cst_edit.code_of(node.args[0].value)
        rest = "".join(", " + cst_edit.code_of(arg) for arg in node.args[1:])
        return cst.parse_expression(f"{cst_edit.code_of(node.func)}(({features}, {labels}){rest})")

    return cst_edit.rewrite_call(source, line, cst_edit.callee_is(method), pair)


def yield_with_labels(source: str, line: int, labels: str) -> str | None:
    """``yield features[index]`` -> ``yield features[index], labels[index]`` on ``line`` (the same index
    picks the matching labels)."""

    def pair(value: cst.BaseExpression) -> cst.BaseExpression | None:
        if not isinstance(value, cst.Subscript):
            return None
        picked = cst.Subscript(value=cst.Name(labels), slice=value.slice)
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return cst.Tuple(elements=[cst.Element(value, comma=comma), cst.Element(picked)], lpar=[], rpar=[])

    return _returned_value(source, line, pair)
