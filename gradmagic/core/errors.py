"""One line that says what went wrong, from an exception: for notices and summaries.

No TensorFlow here (``%load_ext gradmagic`` imports this).
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_summary(type_name: str, text: str) -> str:
    """The line of an exception's text that says what went wrong.

    ``tf.function`` wraps trace errors as ``in user code: ... TypeName: message`` and Keras
    wraps layer errors as ``Exception encountered when calling X.call(). <message> ...``.
    """
    lines = [line.strip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
    if not lines:
        return ""
    if lines[0] == "in user code:":
        starts = [i for i, line in enumerate(lines) if line.startswith(f"{type_name}: ")]
        if not starts:
            return lines[-1]
        lines = [lines[starts[-1]][len(type_name) + 2:], *lines[starts[-1] + 1:]]
    if lines[0].startswith("Exception encountered when calling") and len(lines) > 1:
        lines = lines[1:]
        # Keras wraps a failed symbolic call once more: "Could not automatically infer ... Error encountered:"
        inner = next((i + 1 for i, line in enumerate(lines) if line.endswith("Error encountered:")), None)
        if lines[0].startswith("Could not automatically infer") and inner is not None and inner < len(lines):
            return lines[inner]
    return lines[0]


def describe_error(error: BaseException, limit: int = 200) -> str:
    """``TypeName: the meaningful line`` of ``error`` (cut at ``limit`` characters), for a notice."""
    name = type(error).__name__
    try:
        text = error_summary(name, str(error))
    except Exception:  # noqa: BLE001 - an exception whose str() fails
        text = ""
    if len(text) > limit:
        text = text[:limit - 3].rstrip() + "..."
    return f"{name}: {text}" if text else name
