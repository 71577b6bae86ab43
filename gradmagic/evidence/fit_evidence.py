"""Everything measured about one ``fit`` call: what the detectors read."""

from __future__ import annotations

from dataclasses import dataclass, field

from gradmagic.evidence.facts.compiled import LossSetup, OptimizerState
from gradmagic.evidence.facts.data import DataSample
from gradmagic.evidence.facts.model import EnclosingModel, ModelInfo
from gradmagic.evidence.facts.preflight import Preflight
from gradmagic.evidence.facts.probe import ProbeResult
from gradmagic.evidence.facts.recording import Recording
from gradmagic.evidence.facts.sealed import Sealed


@dataclass
class FitException(Sealed):
    type: str
    message: str
    line: int | None


@dataclass
class FitEvidence(Sealed):
    """One ``fit`` (or ``train_on_batch``) call and what was measured around it, as plain data.

    No live Keras object is kept here: the pipeline holds those (``capture.live_fit.LiveFit``).
    """

    index: int
    line: int | None
    method: str
    model_identity: int  # the same number for the same live model within one check
    model_info: ModelInfo
    data: DataSample
    custom_train_step: bool
    compiled: bool
    loss: LossSetup
    probe: ProbeResult | None = None
    preflight: Preflight | None = None
    recording: Recording | None = None
    status: str = "completed"
    exception: FitException | None = None
    trainable_at_first_call: bool | None = None
    # the other models of the check that contain this one as a layer (a GAN containing its discriminator)
    enclosing_models: list[EnclosingModel] = field(default_factory=list)
    # identity of Keras's train function before/after this call (None: not made yet, see keras_adapter)
    train_function_before: int | None = None
    train_function_after: int | None = None
    # layers (sub-models too) in the order the traced step computed them on its way to the loss, for a
    # model whose structure does not say it (a subclassed model); empty when not traced or not needed
    traced_layer_order: list[str] = field(default_factory=list)
    run_eagerly: bool = False  # ``compile(run_eagerly=True)``: the step runs as Python, not traced
    # the model's optimizer when the rules run (after the call; None: the model has none)
    optimizer: OptimizerState | None = None
