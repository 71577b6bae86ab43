"""Import lines a fix needs: ``import keras`` for ``keras.`` code, numpy's alias for data lines."""

from __future__ import annotations

import re


def ensure_import(source: str, module: str = "keras") -> str:
    """``source`` with ``import <module>`` added at the top when it imports no such module yet."""
    if re.search(rf"^\s*(import {module}\b|from {module} import)", source, re.MULTILINE) or re.search(
        rf"^\s*import [\w, ]*\b{module}\b", source, re.MULTILINE
    ):
        return source
    return f"import {module}\n" + source


def with_keras_import(source: str | None, code: str) -> str | None:
    """``source`` with ``import keras`` added when the ``code`` a fix wrote uses ``keras.``."""
    return ensure_import(source) if source is not None and "keras." in code else source


def numpy_alias(source: str) -> tuple[str, str]:
    """The name numpy is imported as, and the source with ``import numpy as np`` added if missing."""
    found = re.search(r"^\s*import numpy as (\w+)", source, re.MULTILINE)
    if found:
        return found.group(1), source
    if re.search(r"^\s*import numpy\s*$", source, re.MULTILINE):
        return "numpy", source
    return "np", "import numpy as np\n" + source
