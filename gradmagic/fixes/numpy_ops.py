"""Keeping a value in TensorFlow: NumPy calls -> their ``keras.ops`` namesakes, ``.numpy()`` and
``float()`` dropped, ``tf.numpy_function(np.f, [x], ...)`` -> ``keras.ops.f(x)``."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes.imports import ensure_import
from gradmagic.fixes.keras_ops_signatures import accepts_keywords

# NumPy functions whose `keras.ops` namesake computes the same thing on tensors.
NUMPY_TO_OPS = frozenset(
    "abs absolute add amax amin arctan argmax argmin average ceil clip concatenate cos cosh cumsum "
    "divide dot einsum exp expand_dims expm1 floor log log10 log1p log2 logaddexp matmul max maximum "
    "mean median min minimum mod multiply negative outer power prod repeat reshape round sign sin "
    "sinh sqrt square squeeze stack std subtract sum tanh tile transpose true_divide var where".split()
)
# Constructors that only make constants; harmless next to tensors.
NUMPY_CONSTANTS = frozenset("float16 float32 float64 int32 int64 bool_ pi e".split())


@dataclass(frozen=True)
class KeptInTensorflow:
    """The rewritten source, what changed (for the fix's title), and whether it is exact: dropping
    ``float()``/``int()`` keeps a tensor where a number was, which the user must review."""

    source: str
    changes: tuple[str, ...]
    exact: bool


def numpy_aliases(tree: ast.Module | None) -> set[str]:
    """The names numpy is imported as (``np`` and ``numpy`` when the source does not say)."""
    aliases = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name == "numpy")
    return aliases or {"np", "numpy"}


class _LineRewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, aliases: set[str]) -> None:
        self.line = line
        self.aliases = aliases
        self.changes: list[str] = []
        self.blocked = False
        self.uses_keras = False
        self.review = False  # dropping float()/int() keeps a tensor where a number was

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        position = self.get_metadata(PositionProvider, original)
        if not position.start.line <= self.line <= position.end.line:
            return updated
        name = cst_edit.dotted_name(updated.func)
        head, _, attr = name.rpartition(".")
        if head in self.aliases:
            if attr in NUMPY_CONSTANTS:
                return updated
            if attr not in NUMPY_TO_OPS or not _keywords_fit(updated, attr):
                self.blocked = True
                return updated
            self.changes.append(f"`{name}` -> `keras.ops.{attr}`")
            self.uses_keras = True
            return updated.with_changes(func=cst.parse_expression(f"keras.ops.{attr}"))
        if isinstance(updated.func, cst.Attribute) and updated.func.attr.value == "numpy" and not updated.args:
            self.changes.append("drop `.numpy()`")
            return updated.func.value
        if name.rpartition(".")[2] == "constant" and updated is not original and len(updated.args) == 1 \
                and not updated.args[0].keyword and updated.args[0].value is not original.args[0].value:
            # ``tf.constant(np.mean(...))``: once the value is a tensor, ``tf.constant`` would reject it
            self.changes.append(f"drop `{name}()`")
            return updated.args[0].value
        if name in ("float", "int") and len(updated.args) == 1 and not updated.args[0].keyword:
            self.changes.append(f"drop `{name}()`")
            self.review = True
            inner = updated.args[0].value
            return inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) \
                if isinstance(inner, (cst.BinaryOperation, cst.UnaryOperation)) and not inner.lpar else inner
        return updated


def _keywords_fit(call: cst.Call, name: str) -> bool:
    keywords = {arg.keyword.value for arg in call.args if arg.keyword}
    return not keywords or accepts_keywords(name, keywords)


def keep_in_tensorflow_on_line(source: str, line: int) -> KeptInTensorflow | None:
    """NumPy -> ``keras.ops`` and ``.numpy()``/``float()`` dropped on ``line``; None when a NumPy call
    there has no ``keras.ops`` counterpart or nothing changes."""
    rewriter = _LineRewriter(line, numpy_aliases(cst_edit.syntax_tree(source)))
    patched = cst_edit.transform(source, rewriter, changed=lambda: bool(rewriter.changes))
    if patched is None or rewriter.blocked:
        return None
    if rewriter.uses_keras:
        patched = ensure_import(patched)
    return KeptInTensorflow(patched, tuple(sorted(set(rewriter.changes))), exact=not rewriter.review)


def keep_in_tensorflow_to_function_end(source: str, line: int) -> KeptInTensorflow | None:
    """The same rewrite on every line from ``line`` to the end of the function around it; None when
    one of them cannot be rewritten."""
    tree = cst_edit.syntax_tree(source)
    if tree is None:
        return None
    function = next((node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and node.lineno <= line <= (node.end_lineno or node.lineno)), None)
    last = function.end_lineno if function is not None and function.end_lineno else line
    aliases = numpy_aliases(tree)
    patched, changes, uses_keras, review = source, [], False, False
    for current in range(line, last + 1):
        rewriter = _LineRewriter(current, aliases)
        candidate = cst_edit.transform(patched, rewriter, changed=lambda: True)
        if candidate is None or rewriter.blocked:
            return None
        if rewriter.changes:
            patched, uses_keras, review = candidate, uses_keras or rewriter.uses_keras, review or rewriter.review
            changes.extend(c for c in rewriter.changes if c not in changes)
    if uses_keras:
        patched = ensure_import(patched)
    return KeptInTensorflow(patched, tuple(changes), exact=not review)


@dataclass(frozen=True)
class Unwrapped:
    """The rewritten source and the op that replaced the wrapper (``keras.ops.tanh``)."""

    source: str
    op: str


def unwrap_numpy_function(source: str, line: int) -> Unwrapped | None:
    """``tf.numpy_function(np.tanh, [x], tf.float32)`` on ``line`` -> ``keras.ops.tanh(x)`` (also
    ``tf.py_function`` and ``tf.*`` functions); None when the wrapped function has no such op."""
    aliases = numpy_aliases(cst_edit.syntax_tree(source))
    replaced: list[str] = []

    def rewrite(call: cst.Call) -> cst.BaseExpression | None:
        positional = [arg for arg in call.args if not arg.keyword]
        func = next((a.value for a in call.args if a.keyword and a.keyword.value == "func"),
                    positional[0].value if positional else None)
        inp = next((a.value for a in call.args if a.keyword and a.keyword.value == "inp"),
                   positional[1].value if len(positional) > 1 else None)
        if func is None or not isinstance(inp, (cst.List, cst.Tuple)):
            return None
        name = cst_edit.dotted_name(func)
        head, _, attr = name.rpartition(".")
        if head in aliases and attr in NUMPY_TO_OPS:
            target = f"keras.ops.{attr}"
        elif head in ("tf", "tf.math", "keras.ops"):
            target = name
        else:
            return None
        replaced.append(target)
        args = [cst.Arg(value=element.value) for element in inp.elements
                if isinstance(element, cst.Element)]
        for i in range(len(args) - 1):
            args[i] = args[i].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return cst.Call(func=cst.parse_expression(target), args=args)

    patched = cst_edit.rewrite_call(source, line, cst_edit.callee_is("numpy_function", "py_function"), rewrite)
    if patched is None or not replaced:
        return None
    if replaced[0].startswith("keras."):
        patched = ensure_import(patched)
    return Unwrapped(patched, replaced[0])
