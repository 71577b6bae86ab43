"""What ``compile()`` set, as plain data: the loss as given, and the optimizer after the call.

Filled in by ``evidence.compiled`` from the live model; nothing here holds a Keras object.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LossEntry:
    """One entry of ``compile(loss=...)``: a string, a function, a ``Loss`` or another object."""

    key: str | None  # its dict key; None in a list or for a loss given alone
    given: bool  # False for a ``None`` entry: that output gets no loss
    name: str  # how it reads: the string, the wrapped function's name, "lambda", or the class name
    class_name: str  # the Python type of the entry ("str", "function", "MeanSquaredError")
    module: str  # the module of that type, or of the function itself
    text: str | None = None  # the string passed (``"mse"``), None for anything else
    function_name: str | None = None  # the entry's own ``__name__`` ("my_loss", "<lambda>"), None for objects
    from_logits: bool | None = None  # None when the entry does not say
    is_metric: bool = False  # a ``keras.metrics.Metric``
    metric_like: bool = False  # has ``update_state()`` and ``result()``, as metrics do
    loss_class_of_same_name: bool = False  # ``keras.losses`` has a class named like ``class_name``
    # the Python code computing it (the wrapped function, the function, or the class's ``call``)
    code_file: str | None = None
    code_line: int | None = None  # its first line (``co_firstlineno``)
    code_name: str | None = None  # its ``co_name`` ("my_loss", "<lambda>", "call")


@dataclass(frozen=True)
class LossSetup:
    """``compile(loss=...)`` as given: nothing, one loss, a dict by output key, or a list by output."""

    structure: str = "none"  # "none" | "single" | "dict" | "sequence"
    type_name: str = "NoneType"  # the Python type given ("str", "dict", "list", "MeanSquaredError")
    entries: tuple[LossEntry, ...] = ()  # the dict's values, the list's items, or the one loss

    @property
    def given(self) -> bool:
        """``compile`` got a loss (``loss=None`` and no ``compile`` at all give none)."""
        return self.structure != "none"

    @property
    def keyed(self) -> bool:
        return self.structure == "dict"

    @property
    def keys(self) -> list[str]:
        """The dict's keys in order (empty unless ``keyed``)."""
        return [entry.key for entry in self.entries if entry.key is not None] if self.keyed else []

    def entry(self, key: str) -> LossEntry | None:
        return next((entry for entry in self.entries if entry.key == key), None)

    def present(self) -> list[LossEntry]:
        """The entries that are losses (not ``None``)."""
        return [entry for entry in self.entries if entry.given]


@dataclass(frozen=True)
class OptimizerState:
    """The model's optimizer when the rules run (after the call: a failed step has built it)."""

    identity: int  # the same number for the same live optimizer within one check
    class_name: str
    built_for_variables: int | None = None  # how many variables it was built for; None when unknown
