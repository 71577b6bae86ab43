"""Building :class:`Fix` objects from rewritten source."""

from __future__ import annotations

import difflib

from gradmagic.report.model import Fix, Safety


def unified_diff(before: str, after: str, filename: str = "cell") -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{filename}",
            tofile=f"b/{filename}",
        )
    )


def make_fix(fix_id: str, title: str, safety: Safety, before: str, after: str | None,
             reason: str = "") -> Fix | None:
    """A Fix, or None when the rewrite could not be made or changes nothing."""
    if after is None or after == before:
        return None
    return Fix(id=fix_id, title=title, safety=safety, patched_source=after,
               diff=unified_diff(before, after), reason=reason)
