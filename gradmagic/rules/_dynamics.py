"""What the GM3xx rules share: reading the recorder's evidence, thresholds calibrated on the
published ones, and choosing the optimizer / layer / data edits (in ``gradmagic.fixes``) their fixes make."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.evidence.facts.recording import RELU_FAMILY, SATURATING, Recording
from gradmagic.fixes import make_fix
from gradmagic.fixes.data import standardise_after
from gradmagic.fixes.layers import LayerCall
from gradmagic.fixes.layers import layer_keyword as call_keyword
from gradmagic.fixes.optimizers import (
    AppliedOptimizer,
    rate_code,
    set_learning_rate,
    set_optimizer_arguments,
)
from gradmagic.fixes.optimizers import optimizer_line as optimizer_line_in
from gradmagic.report.model import Fix
from gradmagic.rules._shared import layer_call as layer_call_of
from gradmagic.rules.base import RuleContext

# AUTOTRAINER (Zhang et al., ICSE 2021) and DeepDiagnosis (Wardat et al., ICSE 2022)
VANISH_RATIO = 1e-3  # first/last layer gradient norm
VANISH_FIRST_NORM = 1e-4
EXPLODE_RATIO = 70.0
EXPLODE_GROWTH = 1e3  # gradient norm against its level in the first steps
DEAD_FRACTION = 0.7  # of a ReLU layer's units that output 0 for every sample
DYING_ZERO_GRADIENTS = 0.7  # of a layer's gradients exactly zero (AUTOTRAINER "dying ReLU")
SATURATED_FRACTION = 0.5  # of a sigmoid/tanh layer's outputs beyond +-5 before the activation
HEALTHY_UPDATE_RATIO = 1e-3  # Karpathy's rule of thumb for |update| / |weight| per step
HIGH_UPDATE_RATIO = 0.1
LOW_UPDATE_RATIO = 1e-5
ZERO_GRADIENTS = 0.9  # of all gradients exactly zero
TREND_MIN_STEPS = 20  # fewer steps say nothing about the loss trend
PLATEAU_CHANGE = 0.01
DIED_MARGIN = 0.3  # dead fraction at the end minus before the first step: units that died while training

ADAPTIVE = {"Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam", "Lion", "Lamb", "Adafactor", "Adadelta"}


def recording_of(ctx: RuleContext) -> Recording | None:
    """The recorder's evidence when at least one step was recorded."""
    found = ctx.fit.recording
    if not isinstance(found, Recording) or found.steps <= 0:
        return None
    return found


def kernel_layers(rec: Recording, trained_together: bool = True) -> list[str]:
    """Layers with a weight matrix (or kernel), in model order.

    When several optimizers train different layers (a GAN's generator and discriminator, two
    towers), depth comparisons only make sense among layers trained together: by default only
    the layers of the optimizer that trains the most kernels are listed.
    """
    with_kernel = {s.layer for s in rec.slots if s.kernel and not s.sparse}
    layers = [layer for layer in rec.layers if layer in with_kernel]
    groups = [set(entry.get("layers") or []) for entry in getattr(rec, "optimizers", [])]
    if trained_together and len(groups) > 1:
        largest = max(groups, key=lambda group: len(group & with_kernel))
        layers = [layer for layer in layers if layer in largest]
    return layers


def optimizer_of(rec: Recording, layer: str | None = None) -> dict:
    """The description of the optimizer that trains ``layer`` (the main one when None or unknown)."""
    if layer is not None:
        for entry in getattr(rec, "optimizers", []):
            if layer in (entry.get("layers") or []):
                return entry
    return rec.optimizer


def finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, np.float64)
    return values[np.isfinite(values)]


def median(values: np.ndarray) -> float | None:
    """Median of the finite values, None when there are none."""
    kept = finite(values)
    return float(np.median(kept)) if kept.size else None


def early(steps: np.ndarray, values: np.ndarray, fraction: float = 0.2, minimum: int = 3) -> np.ndarray:
    """The first buckets (a fraction of the run, at least ``minimum``)."""
    count = max(minimum, int(math.ceil(len(values) * fraction)))
    return values[:count]


def late(values: np.ndarray, fraction: float = 0.25, minimum: int = 1) -> np.ndarray:
    count = max(minimum, int(math.ceil(len(values) * fraction)))
    return values[-count:]


@dataclass
class LossTrend:
    """The loss at the start and at the end of the run (means over epochs or quarters)."""

    start: float
    end: float
    lowest: float
    highest: float
    steps: int
    initial: float  # the first few steps only
    by_epoch: bool = True  # start and end are the first and last epochs (else the first and last quarters of the steps)

    @property
    def change(self) -> float:
        """Relative change from start to end: -0.4 is a 40 % decrease."""
        return (self.end - self.start) / abs(self.start) if self.start else 0.0


def loss_trend(rec: Recording) -> LossTrend | None:
    """Start and end levels of the finite loss; None when the loss was not seen, or when it is the
    sum of several losses descended by different optimizers (a GAN's ``d_loss + g_loss``), which
    is not expected to go down."""
    if not rec.loss_known or rec.loss_parts > 1:
        return None
    data = rec.series("loss")
    steps, mean, counts = data["steps"], data["mean"], data["count"]
    keep = np.isfinite(mean)
    if keep.sum() < 2:
        return None
    steps, mean, counts = steps[keep], mean[keep], counts[keep]
    ends = sorted(set(rec.epoch_ends))
    first = steps <= ends[0] if len(ends) >= 2 else np.zeros(len(mean), bool)
    last = steps > ends[-2] if len(ends) >= 2 else np.zeros(len(mean), bool)
    by_epoch = not (not first.any() or not last.any() or first.all())
    if not by_epoch:
        quarter = max(1, len(mean) // 4)  # one epoch, or an epoch that ended in NaN: quarters of the steps
        first = np.zeros(len(mean), bool)
        first[:quarter] = True
        last = np.zeros(len(mean), bool)
        last[-quarter:] = True
    start = float(np.average(mean[first], weights=counts[first]))
    end = float(np.average(mean[last], weights=counts[last]))
    head = max(1, int(math.ceil(len(mean) * 0.05)))
    initial = float(np.average(mean[:head], weights=counts[:head]))
    return LossTrend(start=start, end=end, lowest=float(mean.min()), highest=float(mean.max()), steps=rec.steps,
                     initial=initial, by_epoch=by_epoch)


def loss_diverged(rec: Recording) -> bool:
    """The loss ended (or went NaN/Inf) far above where it started."""
    trend = loss_trend(rec)
    exploded = "loss" in rec.nonfinite
    if trend is None:
        return exploded
    base = max(trend.initial, 1e-12)
    grew = trend.highest >= 10 * base or trend.end >= 3 * base
    return grew or (exploded and trend.highest > trend.initial)


@dataclass
class NonfiniteLoss:
    """How the loss stopped being finite, as the recording saw it: every rule says it with these numbers."""

    step: int  # the first step whose loss was NaN/Inf
    value: str  # "NaN", "Inf" or "-Inf": the loss at that step
    last: str | None  # the loss of the last recorded step, when NaN/Inf (None: finite again by then)
    last_step: int
    last_value: float  # the loss of the last recorded step (NaN/Inf, or finite again)
    stayed: bool  # no finite loss recorded after ``step``

    def said(self) -> str:
        """``the loss was NaN from step 3 on``, as a message puts it."""
        if self.stayed and self.last == self.value:
            return f"the loss was {self.value} from step {self.step} on"
        if self.stayed and self.last is not None:
            return (f"the loss was {self.value} at step {self.step}, then NaN/Inf to the end "
                    f"({self.last} at the last step, {self.last_step})")
        return f"the loss was {self.value} at step {self.step}"


def spelled(value: float) -> str:
    """``NaN``, ``Inf`` or ``-Inf`` for a non-finite number."""
    return "NaN" if math.isnan(value) else "Inf" if value > 0 else "-Inf"


def nonfinite_loss(rec: Recording) -> NonfiniteLoss | None:
    """When and how the loss turned NaN/Inf, and whether it ever came back; None when it stayed finite."""
    event = rec.nonfinite.get("loss")
    if event is None or not rec.loss_known:
        return None
    data = rec.series("loss")
    after = data["steps"] > event.step
    stayed = not np.isfinite(data["mean"][after]).any()
    last = float(rec.history.last[rec.history.index["loss"]])
    first = event.loss if event.loss is not None and not math.isfinite(event.loss) else math.nan
    return NonfiniteLoss(step=event.step, value=spelled(first), last=None if math.isfinite(last) else spelled(last),
                         last_step=rec.steps, last_value=last, stayed=stayed and not math.isfinite(last))


def median_update_ratio(rec: Recording) -> float | None:
    values = finite(rec.series("update_ratio")["mean"])
    return float(np.median(values)) if values.size else None


def early_update_ratio(rec: Recording) -> float | None:
    """The largest update/weight ratio of the first tenth of the run (at least the first 5 steps):
    a learning rate that kills units or blows up gradients shows there, before the updates stop."""
    data = rec.series("update_ratio")
    steps, values = data["steps"], data["max"] if "max" in data else data["mean"]
    if not len(steps):
        return None
    early = values[steps <= max(5, int(steps[-1]) // 10)]
    early = finite(early)
    return float(early.max()) if early.size else None


def died_during_training(rec: Recording) -> bool:
    """ReLU layers mostly dead at the end that had far fewer dead units before the first step."""
    dead = dead_layers(rec)
    if not dead or not rec.activations:
        return False
    first = rec.activations[0]
    return any((item := first.layer(name)) is not None and (item.dead_fraction or 0) <= fraction - DIED_MARGIN
               for name, fraction in dead.items())


def first_step_where(steps: np.ndarray, condition: np.ndarray) -> int | None:
    hits = np.flatnonzero(condition)
    return int(steps[hits[0]]) if hits.size else None


def relu_layers(ctx: RuleContext) -> list[LayerInfo]:
    return [layer for layer in ctx.fit.model_info.layers if layer.activation in RELU_FAMILY]


def saturating_layers(ctx: RuleContext) -> list[LayerInfo]:
    return [layer for layer in ctx.fit.model_info.layers if layer.activation in SATURATING]


def dead_layers(rec: Recording) -> dict[str, float]:
    """ReLU-family layers (not outputs) whose units are mostly dead at the last probe."""
    if not rec.activations:
        return {}
    last = rec.activations[-1]
    return {item.layer: item.dead_fraction for item in last.layers
            if item.dead_fraction is not None and not item.is_output and item.dead_fraction >= DEAD_FRACTION}


def num(value: float | None) -> str:
    """``3.2e-06``, ``0.0031``, ``12.5``, ``1,234``: short and exact enough for a message."""
    if value is None:
        return "?"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.2g}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def round_rate(value: float) -> float:
    """The power of ten nearest to ``value`` in log scale: 7e-4 -> 1e-3."""
    return float(10.0 ** round(math.log10(value)))


# -- fixes: the optimizer ----------------------------------------------------------------
def applied_optimizer(ctx: RuleContext, layer: str | None = None) -> AppliedOptimizer | None:
    """The recorded optimizer (of ``layer``) that a custom train step applies itself, None otherwise."""
    rec = ctx.fit.recording
    if not ctx.fit.custom_train_step or not isinstance(rec, Recording) or not rec.optimizers:
        return None
    wanted = optimizer_of(rec, layer)
    return AppliedOptimizer(wanted.get("class"), wanted.get("learning_rate"))


def optimizer_line(ctx: RuleContext, layer: str | None = None) -> int | None:
    """Where the optimizer (of ``layer``, when several train the model) is chosen: its
    constructor, else the ``compile`` call's argument."""
    return optimizer_line_in(ctx.source.tree, ctx.fit.line, applied_optimizer(ctx, layer))


def learning_rate_fix(ctx: RuleContext, rate: float | None, direction: str, layer: str | None = None,
                      reason: str = "brings the measured update/weight ratio near 1e-3") -> list[Fix]:
    """The fix that sets the learning rate (of ``layer``'s optimizer) to ``rate`` (``direction``:
    "lower" or "raise")."""
    if rate is None:
        return []
    patched = set_learning_rate(ctx.source.text, ctx.fit.line, rate, applied_optimizer(ctx, layer))
    fix = make_fix(f"{direction}-learning-rate", f"{direction} the learning rate to {rate_code(rate)}", "review",
                   ctx.source.text, patched, reason)
    return [fix] if fix else []


def edit_optimizer(ctx: RuleContext, layer: str | None = None, **settings: str) -> str | None:
    """The source with the optimizer's (``layer``'s, when several train the model) keyword
    arguments set (``clipnorm="1.0"``)."""
    return set_optimizer_arguments(ctx.source.text, ctx.fit.line, settings, applied_optimizer(ctx, layer))


def suggested_rate(rec: Recording, ratio: float | None, target: float = HEALTHY_UPDATE_RATIO,
                   lower: bool = True, layer: str | None = None) -> float | None:
    """A learning rate that brings the measured update/weight ratio near ``target`` (for the
    optimizer of ``layer``, when several train the model)."""
    optimizer = optimizer_of(rec, layer)
    current = optimizer.get("learning_rate")
    if not current or not ratio or not math.isfinite(ratio):
        return None
    proposal = round_rate(current * target / ratio)
    adaptive = optimizer.get("class") in ADAPTIVE
    if lower:
        proposal = min(proposal, round_rate(current) / 10)
        proposal = max(proposal, 1e-5)
    else:
        proposal = max(proposal, round_rate(current) * 10)
        proposal = min(proposal, 1e-2 if adaptive else 0.1)
    return proposal if not math.isclose(proposal, current, rel_tol=0.05) else None


# -- fixes: layers and data --------------------------------------------------------------
def layer_call(ctx: RuleContext, layer: LayerInfo | None) -> LayerCall | None:
    """Where the checked source makes ``layer``."""
    return layer_call_of(ctx.fit.model_info.layers, layer)


def initializer_for(activation: str | None) -> str:
    return '"he_normal"' if activation in RELU_FAMILY else '"glorot_uniform"'


def input_origin(ctx: RuleContext):
    """``(name, line)`` of the variable passed to ``fit`` as inputs, when gradmagic knows it."""
    preflight = ctx.fit.preflight
    for stats in getattr(preflight, "inputs", None) or []:
        origin = stats.origin
        if origin and origin.editable:
            return origin.name, origin.line, stats
    return None


def standardise_inputs(ctx: RuleContext) -> tuple[str, str] | None:
    """``(patched source, name)`` with the inputs standardised right after they are made."""
    found = input_origin(ctx)
    if found is None:
        return None
    name, line, stats = found
    return standardise_after(ctx.source.text, line, name, len(stats.shape)), name


def input_scale(ctx: RuleContext) -> float | None:
    """The largest absolute input value gradmagic saw, or None."""
    found = input_origin(ctx)
    if found is None:
        return None
    stats = found[2]
    if stats.min is None or stats.max is None:
        return None
    return max(abs(stats.min), abs(stats.max))


# -- NaN/Inf: GM301 or GM310 ---------------------------------------------------------------
def weights_corrupted_quietly(rec: Recording) -> bool:
    """Weights turned NaN/Inf while the loss reported after that still looked finite (GM310)."""
    weight = rec.nonfinite.get("weight")
    if weight is None or not rec.loss_known:
        return False
    loss = rec.nonfinite.get("loss")
    if loss is None:
        return True
    # the loss of step k is computed before step k's update: k + 1 is the first on bad weights
    return loss.step >= weight.step + 2


def training_went_nonfinite(rec: Recording) -> bool:
    """The loss, a gradient or a weight went NaN/Inf (a gradient only without loss scaling)."""
    if "loss" in rec.nonfinite or "weight" in rec.nonfinite:
        return True
    return "gradient" in rec.nonfinite and not rec.optimizer.get("loss_scale")


def origin_line(ctx: RuleContext, origin: dict | None) -> int | None:
    """The innermost line of the checked source among the frames of the first NaN/Inf op."""
    line = None
    for filename, lineno in (origin or {}).get("frames", []):
        if ctx.source.is_ours(filename):
            line = lineno
    return line


def layer_keyword(ctx: RuleContext, layer: LayerInfo, name: str) -> str | None:
    """The code of the ``name=`` argument of the call creating ``layer``, or None."""
    return call_keyword(ctx.source.text, layer_call(ctx, layer), name)


def layer_has_keyword(ctx: RuleContext, layer: LayerInfo, name: str, contains: tuple[str, ...] = ()) -> bool:
    """The call creating ``layer`` passes ``name=`` (whose code mentions one of ``contains``, if given)."""
    code = layer_keyword(ctx, layer, name)
    if code is None:
        return False
    return not contains or any(word in code for word in contains)
