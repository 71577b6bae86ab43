"""Everything measured about one ``fit`` call: what the detectors read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradmagic.evidence.batches import DataSample
from gradmagic.evidence.model_info import EnclosingModel, ModelInfo
from gradmagic.evidence.probe import ProbeResult


@dataclass
class FitException:
    type: str
    message: str
    line: int | None


@dataclass
class FitEvidence:
    """One ``fit`` (or ``train_on_batch``) call and what was measured around it.

    ``model`` is the live Keras model: detectors may read its configuration (the loss
    object, layer settings) but never run or change it.
    """

    index: int
    line: int | None
    method: str
    model: Any
    model_info: ModelInfo
    data: DataSample
    custom_train_step: bool
    compiled: bool
    loss_config: Any
    fit_kwargs: dict[str, Any] = field(default_factory=dict)
    probe: ProbeResult | None = None
    preflight: Any = None
    recording: Any = None
    status: str = "completed"
    exception: FitException | None = None
    trainable_at_first_call: bool | None = None
    # other live models that contain this one as a layer (e.g. a GAN containing its discriminator)
    enclosing_models: list[EnclosingModel] = field(default_factory=list)
    # identity of Keras's train function before/after this call (None: not made yet, see keras_adapter)
    train_function_before: int | None = None
    train_function_after: int | None = None
