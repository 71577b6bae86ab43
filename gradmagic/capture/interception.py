"""What gradmagic's wrapper around ``fit`` needs so that the user sees nothing of it: warnings
counted from the user's frames, Keras's traceback filter treating gradmagic as its own, and the
source line that created a layer."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

from gradmagic.core.source import SourceUnit

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_ours(frame) -> bool:
    filename = frame.f_code.co_filename
    return filename.startswith(_PACKAGE) or (not os.path.isabs(filename)
                                             and os.path.abspath(filename).startswith(_PACKAGE))


def _is_importlib(frame) -> bool:  # the frames ``warnings.warn`` itself does not count
    filename = frame.f_code.co_filename
    return "importlib" in filename and "_bootstrap" in filename


@contextlib.contextmanager
def user_warnings():
    """While gradmagic's wrapper runs a ``fit``: ``warnings.warn(..., stacklevel=n)`` counts no
    gradmagic frame, so a warning lands on the line it would land on without gradmagic (the
    user's ``fit`` line, say, rather than this module). The warning is still raised by Python's
    own ``warnings.warn`` at that moment: the user's filters, ``-W error``, the "once per
    location" registry of the user's module all apply as they would. Warnings issued from C
    (``PyErr_WarnEx``) do not pass through here; their stack level starts at the innermost Python
    frame, which is Keras's or NumPy's, not gradmagic's."""
    original = warnings.warn
    if getattr(original, "__gradmagic__", False):  # an enclosing fit already counts us out
        yield
        return

    def warn(message, category=None, stacklevel=1, source=None, **kwargs):
        extra = 0
        try:
            frame = sys._getframe(1)  # the caller of warnings.warn: level 1
            if stacklevel > 1 and not _is_importlib(frame):
                for _ in range(stacklevel - 1):
                    frame = frame.f_back
                    while frame is not None and (_is_ours(frame) or _is_importlib(frame)):
                        extra += _is_ours(frame)
                        frame = frame.f_back
                    if frame is None:
                        break
        except Exception:  # noqa: BLE001 - count nothing: Python's own behaviour
            extra = 0
        return original(message, category, stacklevel + 1 + extra, source, **kwargs)

    warn.__gradmagic__ = True
    warn.__wrapped__ = original
    warnings.warn = warn
    try:
        yield
    finally:
        if warnings.warn is warn:
            warnings.warn = original


_FILTER_MODULES = ("keras.src.utils.traceback_utils", "tensorflow.python.util.traceback_utils")


@contextlib.contextmanager
def filtered_like_keras():
    """While gradmagic's wrapper runs a ``fit``, Keras's and TensorFlow's traceback filtering treat
    gradmagic's files as their own: a filtered traceback comes out as it would without gradmagic
    (Keras keeps its innermost frame only when no other frame is left)."""
    patched = []
    for name in _FILTER_MODULES:
        module = sys.modules.get(name)
        paths = getattr(module, "_EXCLUDED_PATHS", None)
        if isinstance(paths, tuple) and _PACKAGE not in paths:
            module._EXCLUDED_PATHS = (*paths, _PACKAGE)
            patched.append((module, paths))
    try:
        yield
    finally:
        for module, paths in patched:
            module._EXCLUDED_PATHS = paths


def creation_line(source: SourceUnit, frame) -> int | None:
    """The innermost line of ``source`` that creates the layer, skipping user ``__init__`` bodies."""
    while frame is not None:
        if source.is_ours(frame.f_code.co_filename) and frame.f_code.co_name != "__init__":
            return frame.f_lineno
        frame = frame.f_back
    return None
