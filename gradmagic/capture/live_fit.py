"""The live objects of one intercepted ``fit``: what the pipeline and the measuring modules hold,
and what never reaches a rule (rules read ``FitEvidence``, plain data measured from these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LiveFit:
    """One ``fit`` (or ``train_on_batch``) call as it was made."""

    model: Any  # the live keras.Model
    loss: Any = None  # ``compile(loss=...)`` as given: a string, function, Loss, list or dict
    arguments: dict[str, Any] = field(default_factory=dict)  # the call's arguments, bound to Keras's signature
    # ``evidence.batches.FitBatch``: the first batch and the whole arrays, as ``fit`` gets them
    batch: Any = None
