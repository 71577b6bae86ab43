"""Edits of the dict keys that name a model's outputs (in the targets or the losses)."""

from __future__ import annotations

import libcst as cst

from gradmagic.fixes import cst as cst_edit


def _renamed(node: cst.Dict, old: str, new: str) -> cst.Dict:
    elements = []
    for element in node.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) \
                and element.key.evaluated_value == old:
            quote = element.key.quote
            element = element.with_changes(key=cst.SimpleString(f"{element.key.prefix}{quote}{new}{quote}"))
        elements.append(element)
    return node.with_changes(elements=elements)


def rename_key(source: str, keys: list[str], old: str, new: str) -> str | None:
    """In the dict literal whose string keys are exactly ``keys``, rename key ``old`` to ``new``."""
    return cst_edit.edit_dict(source, keys, lambda node: _renamed(node, old, new))


def unwrap_only_entry(source: str, keys: list[str]) -> str | None:
    """``{"out": y}`` (the dict literal whose only key is ``keys[0]``) -> ``y``."""
    return cst_edit.edit_dict(source, keys, lambda node: node.elements[0].value)
