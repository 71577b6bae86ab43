"""What the pre-flight checks found before training: losses, output heads, targets and data statistics.

Filled in by ``evidence.preflight``; read by the GM1xx/GM2xx rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradmagic.evidence.facts.data import DataOrigin, IdInput
from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.evidence.facts.plain import Plain
from gradmagic.evidence.facts.sealed import Sealed


@dataclass
class LossInfo(Sealed):
    """The loss of one output as compiled."""

    spelled: str  # how it reads: "categorical_crossentropy", "CategoricalCrossentropy", "my_loss"
    name: str | None  # the built-in loss function it computes, None for a custom loss
    family: str  # categorical | sparse | binary | regression | hinge | distribution | count | custom | none
    from_logits: bool = False
    form: str = "none"  # string | function | object | custom-function | custom-object | none


@dataclass
class ArrayStats(Sealed):
    """Numbers about one input or target array, over a bounded number of rows."""

    argument: str  # "x", "y", "x[0]", "y['label']"
    role: str  # "inputs" | "targets"
    shape: tuple[int | None, ...]
    dtype: str
    rows_total: int | None
    rows_scanned: int
    numeric: bool = True
    nan_count: int = 0
    inf_count: int = 0
    nonfinite_rows: int = 0
    first_nonfinite: tuple[int, ...] | None = None
    nonfinite_columns: list[int] = field(default_factory=list)  # 2-D: columns with any NaN/Inf
    all_nonfinite_columns: list[int] = field(default_factory=list)  # 2-D: columns NaN/Inf in every row
    constant_columns: list[int] = field(default_factory=list)  # 2-D: finite columns with one value
    constant_values: list[float] = field(default_factory=list)
    columns: int | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    integral: bool = False
    origin: DataOrigin | None = None

    @property
    def nonfinite(self) -> int:
        return self.nan_count + self.inf_count

    @property
    def complete(self) -> bool:
        return self.rows_total is not None and self.rows_scanned >= self.rows_total

    @property
    def line(self) -> int | None:
        """Where the values were introduced (traced back through copies and casts)."""
        return self.origin.line if self.origin else None

    @property
    def final_line(self) -> int | None:
        """Where the array ``fit`` gets is last assigned: the place to rescale it."""
        if self.origin is None:
            return None
        return self.origin.argument_line or self.origin.line


@dataclass
class OutputCheck(Sealed):
    """One output head: what produces it, what it is trained against, and with which loss."""

    index: int
    key: str  # dict key or output name
    layer: str | None  # the layer producing the output
    activation: str | None  # softmax | sigmoid | linear | relu | tanh | ... ; None when unknown
    activation_from: str = "layers"  # "layers" (read from the model) | "observed" (from outputs)
    activation_layer: LayerInfo | None = None  # the layer applying the activation
    units_layer: LayerInfo | None = None  # the layer that sets the number of units
    units: int | None = None
    output_shape: tuple[int | None, ...] | None = None
    loss: LossInfo = field(default_factory=lambda: LossInfo("", None, "none"))
    targets: ArrayStats | None = None
    target_kind: str = "unknown"  # one-hot | integer | binary | continuous | unknown
    target_classes: int | None = None  # distinct values among integral targets
    # the cross-entropy of always predicting the label frequencies (nats): what a model that learnt
    # nothing from the inputs reaches at best
    prior_loss: float | None = None
    ids_out_of_range: int | None = None  # integral targets < 0 or >= units (class ids a head cannot output)
    relation: str | None = None  # how target shape relates to output shape, see `shape_relation`
    observed_min: float | None = None
    observed_max: float | None = None
    observed_row_sums_one: bool | None = None
    observed_constant: bool | None = None
    loss_value: float | None = None  # the built-in loss on the first batch, before any step
    broadcast: dict[str, Plain] | None = None  # set when a custom loss silently broadcasts


@dataclass
class Preflight(Sealed):
    """Everything the GM1xx/GM2xx detectors read for one ``fit`` call."""

    outputs: list[OutputCheck] = field(default_factory=list)
    inputs: list[ArrayStats] = field(default_factory=list)
    targets: list[ArrayStats] = field(default_factory=list)
    origins: dict[str, DataOrigin] = field(default_factory=dict)
    input_layers: list[str] = field(default_factory=list)  # classes of the first layers after the inputs
    # fit input ("x", "x[0]", "x['ids']") -> classes of the layers reading it directly (absent: unknown)
    input_readers: dict[str, list[str]] = field(default_factory=dict)
    id_inputs: list[IdInput] = field(default_factory=list)  # inputs read by Embedding & co, measured as ids
    output_layers: list[str] = field(default_factory=list)  # classes on the path to each output
    metrics: list[str] = field(default_factory=list)  # metric names given to compile, as strings
    sampled: str = ""  # how the data was sampled, in words
    forward_pass: bool = False  # whether the outputs were measured on the first batch
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def head(self, index: int = 0) -> OutputCheck | None:
        return self.outputs[index] if 0 <= index < len(self.outputs) else None
