"""Small libcst rewrites that rules combine into fixes. Each returns new source or None."""

from __future__ import annotations

from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


def _parse(source: str) -> MetadataWrapper | None:
    try:
        return MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError:
        return None


def transform(source: str, transformer: cst.CSTTransformer,
              changed: Callable[[], bool] | None = None) -> str | None:
    """``source`` rewritten by ``transformer`` (with position metadata), or None.

    None when the source does not parse or the transformer made no change: its ``done``
    flag, or ``changed()`` when given.
    """
    wrapper = _parse(source)
    if wrapper is None:
        return None
    new_module = wrapper.visit(transformer)
    made = changed() if changed is not None else getattr(transformer, "done", False)
    return new_module.code if made else None


def dotted_name(node: cst.BaseExpression) -> str:
    """``keras.layers.Dense`` for an Attribute/Name chain, ``""`` otherwise."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


class _CallRewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int | None, match: Callable[[cst.Call], bool],
                 rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> None:
        self.line = line
        self.match = match
        self.rewrite = rewrite
        self.done = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.done:
            return updated
        position = self.get_metadata(PositionProvider, original)
        if self.line is not None and not position.start.line <= self.line <= position.end.line:
            return updated
        if not self.match(updated):
            return updated
        replacement = self.rewrite(updated)
        if replacement is None:
            return updated
        self.done = True
        return replacement


def rewrite_call(source: str, line: int | None, match: Callable[[cst.Call], bool],
                 rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> str | None:
    """Rewrite the innermost call spanning ``line`` (any line if None) that ``match`` accepts."""
    return transform(source, _CallRewriter(line, match, rewrite))


def callee_is(*names: str) -> Callable[[cst.Call], bool]:
    """Match calls whose callee's last dotted part is one of ``names``."""
    return lambda call: dotted_name(call.func).rsplit(".", 1)[-1] in names


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((arg for arg in call.args if arg.keyword and arg.keyword.value == name), None)


def with_keyword(call: cst.Call, name: str, value_code: str) -> cst.Call:
    """``call`` with ``name=value_code`` set (replaced if present, appended otherwise)."""
    value = cst.parse_expression(value_code)
    existing = keyword(call, name)
    if existing is not None:
        args = [arg.with_changes(value=value) if arg is existing else arg for arg in call.args]
        return call.with_changes(args=args)
    args = list(call.args)
    new_comma: cst.Comma | cst.MaybeSentinel = cst.MaybeSentinel.DEFAULT
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    elif args and isinstance(args[-1].comma, cst.Comma) and isinstance(
            args[-1].comma.whitespace_after, cst.ParenthesizedWhitespace):
        # one argument per line with a trailing comma: the new one goes on its own line too
        previous = args[-2].comma if len(args) > 1 else None
        indent = previous.whitespace_after if isinstance(previous, cst.Comma) else call.whitespace_before_args
        new_comma = args[-1].comma
        args[-1] = args[-1].with_changes(comma=args[-1].comma.with_changes(whitespace_after=indent))
    elif args and isinstance(args[-1].comma, cst.Comma):
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(keyword=cst.Name(name), value=value, comma=new_comma,
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def without_keyword(call: cst.Call, name: str) -> cst.Call:
    args = [arg for arg in call.args if not (arg.keyword and arg.keyword.value == name)]
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=args)


def set_keyword_at(source: str, line: int | None, callees: tuple[str, ...], name: str,
                   value_code: str) -> str | None:
    return rewrite_call(source, line, callee_is(*callees), lambda call: with_keyword(call, name, value_code))


def replace_call_at(source: str, line: int | None, match: Callable[[cst.Call], bool],
                    replacement_code: Callable[[cst.Call], str]) -> str | None:
    return rewrite_call(source, line, match, lambda call: cst.parse_expression(replacement_code(call)))


def unwrap_call_at(source: str, line: int | None, callees: tuple[str, ...]) -> str | None:
    """Replace ``f(expr, ...)`` by ``expr`` (parenthesised unless atomic) on ``line``."""

    def unwrap(call: cst.Call) -> cst.BaseExpression | None:
        if not call.args:
            return None
        inner = call.args[0].value
        atomic = isinstance(inner, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float))
        return inner if atomic or inner.lpar else inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    return rewrite_call(source, line, callee_is(*callees), unwrap)


def insert_after_line(source: str, line: int, text: str) -> str:
    """Insert ``text`` (one or more lines) after ``line``, indented like that line's statement."""
    lines = source.splitlines(keepends=True)
    anchor = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = anchor[: len(anchor) - len(anchor.lstrip())]
    end = _statement_end(source, line)
    block = "".join(f"{indent}{piece}\n" for piece in text.splitlines())
    return "".join(lines[:end]) + block + "".join(lines[end:])


def _statement_end(source: str, line: int) -> int:
    """The last line of the simple statement that starts on or spans ``line``."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return line
    best = line
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                best = max(best, node.end_lineno or node.lineno)
    return best


class _DecoratorRemover(cst.CSTTransformer):
    def __init__(self, function: str, is_target: Callable[[cst.Decorator], bool]) -> None:
        self.function = function
        self.is_target = is_target
        self.done = False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != self.function:
            return updated
        kept = [d for d in updated.decorators if not self.is_target(d)]
        if len(kept) != len(updated.decorators):
            self.done = True
            return updated.with_changes(decorators=kept)
        return updated


def remove_decorator(source: str, function: str, decorator_names: tuple[str, ...]) -> str | None:
    """Remove decorators named like ``tf.function`` from every def called ``function``."""

    def is_target(decorator: cst.Decorator) -> bool:
        node = decorator.decorator
        if isinstance(node, cst.Call):
            node = node.func
        return dotted_name(node) in decorator_names

    return transform(source, _DecoratorRemover(function, is_target))


def statement_span(source: str, line: int) -> tuple[int, int] | None:
    """First and last line of the innermost simple statement that spans ``line``."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end and (best is None or end - node.lineno < best[1] - best[0]):
                best = (node.lineno, end)
    return best


def insert_around_statement(source: str, line: int, before: str | None = None, after: str | None = None) -> str | None:
    """Insert lines before and/or after the statement spanning ``line``, indented like it."""
    span = statement_span(source, line)
    if span is None:
        return None
    lines = source.splitlines(keepends=True)
    if not lines[span[1] - 1].endswith("\n"):
        lines[span[1] - 1] += "\n"
    first = lines[span[0] - 1]
    indent = first[: len(first) - len(first.lstrip())]

    def block(text: str | None) -> list[str]:
        return [f"{indent}{piece}\n" for piece in text.splitlines()] if text else []

    return "".join(lines[: span[0] - 1] + block(before) + lines[span[0] - 1: span[1]] + block(after)
                   + lines[span[1]:])


class _AssignedValue(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, name: str, code: str) -> None:
        self.line, self.name, self.code = line, name, code
        self.done = False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if self.done or self.get_metadata(PositionProvider, original).start.line != self.line:
            return updated
        if len(updated.targets) != 1 or dotted_name(updated.targets[0].target) != self.name:
            return updated
        self.done = True
        return updated.with_changes(value=cst.parse_expression(self.code))


def replace_assigned_value(source: str, line: int, name: str, code: str) -> str | None:
    """``name = <old>`` on ``line`` -> ``name = <code>``."""
    return transform(source, _AssignedValue(line, name, code))
