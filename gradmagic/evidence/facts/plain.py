"""``Plain``: a value JSON could hold (numbers, strings, booleans, None, and lists, tuples and
dicts of them), for the few facts whose keys vary (an optimizer's settings, Keras's epoch logs)."""

from __future__ import annotations

from typing import TypeAlias, Union

Plain: TypeAlias = Union[str, int, float, bool, None, list["Plain"], tuple["Plain", ...], dict[str, "Plain"]]
