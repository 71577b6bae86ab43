"""The libcst ground the edits in ``gradmagic.fixes`` stand on: the one parse, the one statement
finder, call and keyword rewrites. Each edit returns new source, or None when it cannot apply."""

from __future__ import annotations

import ast
from collections.abc import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


def parse(source: str) -> MetadataWrapper | None:
    """``source`` as a libcst module with position metadata, or None when it does not parse."""
    try:
        return MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError:
        return None


def syntax_tree(source: str) -> ast.Module | None:
    """``source`` as an ``ast`` module (for lookups; edits go through libcst), or None."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def transform(source: str, transformer: cst.CSTTransformer,
              changed: Callable[[], bool] | None = None) -> str | None:
    """``source`` rewritten by ``transformer`` (with position metadata), or None.

    None when the source does not parse or the transformer made no change: its ``done``
    flag, or ``changed()`` when given.
    """
    wrapper = parse(source)
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
    tree = syntax_tree(source)
    found = simple_statements_at(tree, line) if tree is not None else []
    end = max([line, *(node.end_lineno or node.lineno for node in found)])
    block = "".join(f"{indent}{piece}\n" for piece in text.splitlines())
    return "".join(lines[:end]) + block + "".join(lines[end:])


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


def simple_statements_at(tree: ast.Module, line: int) -> list[ast.stmt]:
    """The simple statements (no body of their own) that span ``line``, in source order."""
    found = [node for node in ast.walk(tree) if isinstance(node, ast.stmt) and not hasattr(node, "body")
             and node.lineno <= line <= (node.end_lineno or node.lineno)]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    """The innermost simple statement that spans ``line`` (the first of the shortest), or None."""
    found = simple_statements_at(tree, line)
    return min(found, key=lambda node: (node.end_lineno or node.lineno) - node.lineno) if found else None


def statement_span(source: str, line: int) -> tuple[int, int] | None:
    """First and last line of the innermost simple statement that spans ``line``."""
    tree = syntax_tree(source)
    statement = statement_at(tree, line) if tree is not None else None
    return (statement.lineno, statement.end_lineno or statement.lineno) if statement is not None else None


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


class _Replace(cst.CSTTransformer):
    """Replace the expressions spanning exactly ``(line, column, end line, end column)`` (ast positions)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, spans: set[tuple[int, int, int, int]],
                 build: Callable[[cst.CSTNode], cst.CSTNode | None]) -> None:
        self.spans, self.build = spans, build
        self.done = False

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        if not self.spans or not isinstance(original, cst.BaseExpression):
            return updated
        position = self.get_metadata(PositionProvider, original, None)
        if position is None:
            return updated
        span = (position.start.line, position.start.column, position.end.line, position.end.column)
        if span not in self.spans:
            return updated
        replacement = self.build(updated)
        if replacement is None:
            return updated
        self.spans = self.spans - {span}  # each span once
        self.done = True
        return replacement


def ast_span(node: ast.expr) -> tuple[int, int, int, int]:
    """``(line, column, end line, end column)`` of an ``ast`` expression, as libcst positions count them."""
    return node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0


def replace_node(source: str, node: ast.expr, build: Callable[[cst.CSTNode], cst.CSTNode | None]) -> str | None:
    """Rewrite the expression that ``ast`` found at ``node``'s position."""
    return replace_spans(source, [ast_span(node)], build)


def replace_spans(source: str, spans: list[tuple[int, int, int, int]],
                  build: Callable[[cst.CSTNode], cst.CSTNode | None]) -> str | None:
    """Rewrite every expression at one of ``spans`` (ast positions) in one pass: inner ones first."""
    return transform(source, _Replace(set(spans), build))


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


class _DictEditor(cst.CSTTransformer):
    def __init__(self, keys: list[str], edit: Callable[[cst.Dict], cst.BaseExpression]) -> None:
        self.wanted, self.edit = sorted(keys), edit
        self.done = False

    def leave_Dict(self, original: cst.Dict, updated: cst.Dict) -> cst.BaseExpression:
        if self.done:
            return updated
        found = [e.key.evaluated_value for e in updated.elements
                 if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)]
        if len(found) != len(updated.elements) or sorted(found) != self.wanted:
            return updated
        self.done = True
        return self.edit(updated)


def edit_dict(source: str, keys: list[str], edit: Callable[[cst.Dict], cst.BaseExpression]) -> str | None:
    """Apply ``edit`` to the first dict literal whose string keys are exactly ``keys``."""
    return transform(source, _DictEditor(keys, edit))
