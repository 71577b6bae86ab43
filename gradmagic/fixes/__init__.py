"""Source rewrites with libcst (formatting and comments kept) and their diffs."""

from gradmagic.fixes.edit import make_fix, unified_diff

__all__ = ["make_fix", "unified_diff"]
