"""Edits of ``compile(metrics=...)``."""

from __future__ import annotations

import ast

import libcst as cst

from gradmagic.fixes import cst as cst_edit

ACCURACY = {"accuracy", "acc", "Accuracy", "binary_accuracy", "categorical_accuracy", "BinaryAccuracy",
            "CategoricalAccuracy"}


def metrics_line(tree: ast.Module | None, fit_line: int | None) -> int | None:
    """The line of ``metrics=`` in the compile of the model fitted on ``fit_line`` (of compile without it)."""
    call = cst_edit.compile_call(tree, fit_line)
    if call is None:
        return None
    keyword = next((k for k in call.keywords if k.arg == "metrics"), None)
    return keyword.value.lineno if keyword is not None else call.lineno


def replace_accuracy_metrics(source: str | None, fit_line: int | None) -> str | None:
    """Replace every accuracy-type string in compile's ``metrics=`` by ``"mae"`` (the source unchanged
    when there is none)."""
    if source is None:
        return None
    tree = cst_edit.syntax_tree(source)
    call = cst_edit.compile_call(tree, fit_line)
    keyword = next((k for k in call.keywords if k.arg == "metrics"), None) if call else None
    if keyword is None:
        return source
    spans = [cst_edit.ast_span(node) for node in ast.walk(keyword.value)
             if isinstance(node, ast.Constant) and node.value in ACCURACY]
    if not spans:
        return source
    return cst_edit.replace_spans(source, spans, lambda old: cst.SimpleString('"mae"'))
