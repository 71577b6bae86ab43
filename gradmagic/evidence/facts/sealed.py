"""Evidence is filled in while the fit runs, then sealed before any rule reads it.

A ``Sealed`` dataclass takes assignments while the measuring code fills it in; once ``seal``
has walked it (the pipeline does so right before the rules run), assigning a field raises
``FrozenInstanceError``, as for ``@dataclass(frozen=True)``: a rule reads the evidence, it never
changes it, and no later fit sees it changed.
"""

from __future__ import annotations

import dataclasses
from typing import Any


class Sealed:
    """Base of the evidence dataclasses: frozen once ``seal`` has seen them."""

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_sealed"):
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}: the evidence is sealed")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self.__dict__.get("_sealed"):
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}: the evidence is sealed")
        object.__delattr__(self, name)


def seal(value: Any) -> None:
    """Seal ``value`` and every ``Sealed`` dataclass under it (in fields, lists, tuples and dicts)."""
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            pending.extend(getattr(item, field.name) for field in dataclasses.fields(item))
            if isinstance(item, Sealed):
                object.__setattr__(item, "_sealed", True)


def is_sealed(value: Any) -> bool:
    return bool(getattr(value, "__dict__", {}).get("_sealed"))
