"""Measures what ``compile()`` set on a live model: its loss as given, and its optimizer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from gradmagic.core import keras_adapter
from gradmagic.evidence.facts.compiled import LossEntry, LossSetup, OptimizerState


def describe_loss(config: Any) -> LossSetup:
    """``compile(loss=...)`` as plain facts: its structure and one :class:`LossEntry` per loss.

    An entry gradmagic cannot read (a property that raises, say) is described by its type alone.
    """
    if config is None:
        return LossSetup()
    type_name = type(config).__name__
    if isinstance(config, dict):
        return LossSetup("dict", type_name, tuple(_entry(value, str(key)) for key, value in config.items()))
    if isinstance(config, (list, tuple)):
        return LossSetup("sequence", type_name, tuple(_entry(value) for value in config))
    return LossSetup("single", type_name, (_entry(config),))


def optimizer_state(model: keras.Model, identity_of: Callable[[Any], int]) -> OptimizerState | None:
    """The model's optimizer now; ``identity_of`` numbers a live object within the check."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return OptimizerState(identity=identity_of(optimizer), class_name=type(optimizer).__name__,
                          built_for_variables=keras_adapter.optimizer_built_for(optimizer))


def _entry(loss: Any, key: str | None = None) -> LossEntry:
    if loss is None:
        return LossEntry(key=key, given=False, name="None", class_name="NoneType", module="builtins")
    try:
        return _read_entry(loss, key)
    except Exception:  # noqa: BLE001 - a user object whose attributes raise: its type is all there is
        return LossEntry(key=key, given=True, name=type(loss).__name__, class_name=type(loss).__name__,
                         module=type(loss).__module__)


def _read_entry(loss: Any, key: str | None) -> LossEntry:
    class_name = type(loss).__name__
    code = _code(loss)
    return LossEntry(
        key=key,
        given=True,
        name=_name(loss),
        class_name=class_name,
        module=str(getattr(loss, "__module__", None) or type(loss).__module__),
        text=loss if isinstance(loss, str) else None,
        function_name=_own_name(loss),
        from_logits=_from_logits(loss),
        is_metric=isinstance(loss, keras.metrics.Metric),
        metric_like=hasattr(loss, "update_state") and hasattr(loss, "result"),
        loss_class_of_same_name=hasattr(keras.losses, class_name),
        code_file=code.co_filename if code is not None else None,
        code_line=code.co_firstlineno if code is not None else None,
        code_name=code.co_name if code is not None else None,
    )


def _own_name(loss: Any) -> str | None:
    name = getattr(loss, "__name__", None)
    return name if isinstance(name, str) else None


def _name(loss: Any) -> str:
    """The string, else the name of the function it wraps or is, else ``lambda``, else its class."""
    if isinstance(loss, str):
        return loss
    function = getattr(loss, "fn", None) or getattr(loss, "func", None)
    if function is not None and getattr(function, "__name__", "<lambda>") != "<lambda>":
        return function.__name__
    name = getattr(loss, "__name__", None)
    if name and name != "<lambda>":
        return name
    return "lambda" if name == "<lambda>" else type(loss).__name__


def _code(loss: Any) -> Any:
    for candidate in (getattr(loss, "fn", None), getattr(loss, "func", None), loss,
                      getattr(type(loss), "call", None)):
        code = getattr(candidate, "__code__", None)
        if code is not None:
            return code
    return None


def _from_logits(loss: Any) -> bool | None:
    if isinstance(loss, keras.losses.Loss):
        try:
            value = loss.get_config().get("from_logits")
        except Exception:  # noqa: BLE001 - a custom Loss without a config
            return None
        return None if value is None else bool(value)
    keywords = getattr(loss, "keywords", None)  # functools.partial(keras.losses.xxx, from_logits=True)
    if isinstance(keywords, dict) and "from_logits" in keywords:
        return bool(keywords["from_logits"])
    return None
