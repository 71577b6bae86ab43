"""The data side of one ``fit`` call as plain facts: how it was passed, where it was made, what it holds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradmagic.evidence.facts.sealed import Sealed


@dataclass
class DataSample(Sealed):
    """How ``fit`` got its data, and the targets of its first batch.

    The live batch (tensors, the element a generator yielded, the whole arrays) stays with the
    pipeline in ``evidence.batches.FitBatch``; this keeps what the rules may read.
    """

    kind: str  # arrays | generator | pydataset | dataset | iterator | none
    has_targets: bool = False
    element_kind: str | None = None  # "tuple of 2", "list of 2", "dict", "single array", "tuple", "other"
    batch_size: int | None = None
    notes: list[str] = field(default_factory=list)
    # (filename, line) the first element came from: the ``yield`` a generator is suspended at,
    # or the ``def __getitem__`` line of a PyDataset
    origin: tuple[str, int] | None = None
    # the keys of a dict of targets, known from the structure even when no value was sampled
    target_keys: list[str] | None = None
    element_keys: list[str] | None = None  # the keys of the first element, when it is a dict
    available: bool = False  # whether a first batch was sampled
    # the first batch's targets as NumPy (at most ``PROBE_ROWS`` rows; a dict, tuple or list of
    # arrays for several outputs), None when not sampled or not convertible
    y: np.ndarray | dict[str, np.ndarray] | tuple | list | None = None


@dataclass
class DataOrigin(Sealed):
    """One data argument of ``fit`` and the source line that produced it."""

    argument: str  # "x", "y", "x[0]", "y['out']"
    expression: str  # the argument as written in the fit call, e.g. "x_train"
    name: str | None = None  # the variable holding the array, when there is one
    line: int | None = None  # the statement that introduces the values (see `trace_back`)
    via: str | None = None  # the dataset variable followed back to `name`, if any
    # the copies and casts between `line` and `fit`, nearest to fit first: (line, "y = outcome.astype(...)")
    chain: list[tuple[int, str]] = field(default_factory=list)
    argument_is_name: bool = False  # the fit argument is a plain name (``fit(x, y)``, not ``fit(x[:100], ...)``)
    argument_line: int | None = None  # the last assignment of the fit argument's own name (before tracing back)

    @property
    def editable(self) -> bool:
        """Whether a data fix may rebind ``name`` right after ``line`` and reach ``fit``."""
        return bool(self.name and self.line and self.argument_is_name)


@dataclass
class IdInput(Sealed):
    """One ``fit`` input read directly by a layer that takes integer ids, measured over the scanned rows."""

    argument: str  # "x", "x[0]", "x['ids']"
    layer: str
    class_name: str  # Embedding | CategoryEncoding | IntegerLookup
    line: int | None  # where the layer is written
    input_dim: int | None  # ids accepted: 0..input_dim-1 (None: any integer, IntegerLookup)
    dtype: str = ""
    values_scanned: int = 0
    min: float | None = None
    max: float | None = None
    non_integral: int = 0  # finite values with a fractional part
    negative: int = 0  # values below 0
    beyond: int = 0  # values >= input_dim
    nonfinite: int = 0

    @property
    def out_of_range(self) -> int:
        return self.negative + self.beyond

    @property
    def fraction_non_integral(self) -> float:
        return self.non_integral / self.values_scanned if self.values_scanned else 0.0
