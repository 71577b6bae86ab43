"""Source rewrites with libcst (formatting and comments kept) and their diffs.

Each edit is a plain function ``(source, <parameters>) -> str | None`` (None when it cannot apply),
in a module named for what it changes: ``layers`` (size, activation, keywords, layers added or
removed), ``losses``, ``metrics``, ``optimizers``, ``data`` (lines that make the arrays),
``datasets`` (what the data yields), ``numpy_ops``, ``surrogates``, ``guards``, ``tape``,
``trainable``, ``weights``, ``output_keys``, ``imports``; ``cst`` is the ground they stand on (the
one parse, the one statement finder). Rules choose and parametrise them; this package imports
nothing above ``report``.
"""

from gradmagic.fixes.edit import make_fix, unified_diff

__all__ = ["make_fix", "unified_diff"]
