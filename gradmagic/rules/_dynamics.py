"""What the GM3xx rules share: reading the recorder's evidence, thresholds calibrated on the
published ones, and the optimizer / layer / data edits their fixes make."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Callable

import libcst as cst
import numpy as np

from gradmagic.evidence.activations import RELU_FAMILY, SATURATING
from gradmagic.evidence.model_info import LayerInfo
from gradmagic.evidence.recorder import Recording
from gradmagic.fixes import cst as cst_edit
from gradmagic.fixes import make_fix
from gradmagic.rules._preflight_edits import compile_call, insert_data_lines
from gradmagic.rules._shared import ensure_import
from gradmagic.report.model import Fix
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

OPTIMIZER_CLASSES = {
    "adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
    "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam", "ftrl": "Ftrl", "lion": "Lion",
    "lamb": "Lamb", "adafactor": "Adafactor",
}
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
    if not first.any() or not last.any() or first.all():
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
                     initial=initial)


def loss_diverged(rec: Recording) -> bool:
    """The loss ended (or went NaN/Inf) far above where it started."""
    trend = loss_trend(rec)
    exploded = "loss" in rec.nonfinite
    if trend is None:
        return exploded
    base = max(trend.initial, 1e-12)
    grew = trend.highest >= 10 * base or trend.end >= 3 * base
    return grew or (exploded and trend.highest > trend.initial)


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


def rate_code(value: float) -> str:
    return format(value, "g")


# -- fixes: the optimizer ---------------------------------------------------------------
def optimizer_line(ctx: RuleContext, layer: str | None = None) -> int | None:
    """Where the optimizer (of ``layer``, when several train the model) is chosen: its
    constructor, else the ``compile`` call's argument."""
    site = _optimizer_site(ctx, layer)
    return site[1] if site else None


def _optimizer_site(ctx: RuleContext, layer: str | None = None) -> tuple[str, int] | None:
    """``("call", line)`` of an optimizer constructor, ``("compile", line)`` of a compile call
    whose optimizer is a string or missing."""
    tree = ctx.source.tree
    call = compile_call(tree, ctx.fit.line)
    if call is None:
        return None
    value = next((k.value for k in call.keywords if k.arg == "optimizer"), call.args[0] if call.args else None)
    if value is None and ctx.fit.custom_train_step:  # the train step applies its own optimizers
        line = _constructed_optimizer(ctx, layer)
        if line is not None:
            return "call", line
    if isinstance(value, ast.Call) and _optimizer_class(value):
        return "call", value.lineno
    if isinstance(value, ast.Name):
        assigned = _assignment_of(tree, value.id, call.lineno)
        if assigned is not None:
            return "call", assigned.lineno
        return None
    if value is None or (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return "compile", value.lineno if value is not None else call.lineno
    return None


def _constructed_optimizer(ctx: RuleContext, layer: str | None) -> int | None:
    """The line of the optimizer constructor in the source that matches the recorded optimizer
    of ``layer`` (class, then learning rate), for a train step that applies its own optimizers."""
    rec = ctx.fit.recording
    if not isinstance(rec, Recording) or not rec.optimizers:
        return None
    wanted = optimizer_of(rec, layer)
    best, best_score = None, 0
    for node in ast.walk(ctx.source.tree):
        if not isinstance(node, ast.Call) or _optimizer_class(node) is None:
            continue
        score = 2 * (_optimizer_class(node) == wanted.get("class"))
        rate = _literal_rate(node)
        if score and rate is not None and wanted.get("learning_rate") is not None \
                and math.isclose(rate, wanted["learning_rate"], rel_tol=1e-6):
            score += 1
        if score > best_score or (score == best_score and best is not None and node.lineno < best.lineno):
            best, best_score = node, score
    return best.lineno if best is not None else None


def _literal_rate(call: ast.Call) -> float | None:
    value = next((k.value for k in call.keywords if k.arg == "learning_rate"), call.args[0] if call.args else None)
    try:
        rate = ast.literal_eval(value) if value is not None else None
    except Exception:  # noqa: BLE001 - not a literal
        return None
    return float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None


def _optimizer_class(call: ast.Call) -> str | None:
    name = ast.unparse(call.func).rsplit(".", 1)[-1]
    return name if name in OPTIMIZER_CLASSES.values() else None


def _assignment_of(tree: ast.Module, name: str, before: int) -> ast.Call | None:
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.lineno < before and isinstance(node.value, ast.Call) \
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets) \
                and _optimizer_class(node.value):
            if found is None or node.lineno > found.lineno:
                found = node.value
    return found


def learning_rate_fix(ctx: RuleContext, rate: float | None, direction: str) -> list[Fix]:
    """The fix that sets the learning rate to ``rate`` (``direction``: "lower" or "raise")."""
    if rate is None:
        return []
    fix = make_fix(f"{direction}-learning-rate", f"{direction} the learning rate to {rate_code(rate)}", "review",
                   ctx.source.text, edit_optimizer(ctx, learning_rate=rate_code(rate)),
                   "brings the measured update/weight ratio near 1e-3")
    return [fix] if fix else []


def edit_optimizer(ctx: RuleContext, layer: str | None = None, **settings: str) -> str | None:
    """The source with the optimizer's (``layer``'s, when several train the model) keyword
    arguments set (``learning_rate="0.001"``).

    A string optimizer (``"adam"``) or a missing one becomes ``keras.optimizers.Adam(...)``.
    """
    source = ctx.source.text
    site = _optimizer_site(ctx, layer)
    if site is None:
        return None
    kind, line = site
    if kind == "call":
        patched = cst_edit.rewrite_call(source, line, lambda call: _is_optimizer_call(call),
                                        lambda call: _with_settings(call, settings))
        return patched
    compile_node = compile_call(ctx.source.tree, ctx.fit.line)
    value = next((k.value for k in compile_node.keywords if k.arg == "optimizer"),
                 compile_node.args[0] if compile_node.args else None)
    spelled = value.value.lower() if isinstance(value, ast.Constant) else "rmsprop"
    class_name = OPTIMIZER_CLASSES.get(spelled)
    if class_name is None:
        return None
    arguments = ", ".join(f"{key}={code}" for key, code in settings.items())
    code = f"keras.optimizers.{class_name}({arguments})"

    def rewrite(call: cst.Call) -> cst.Call | None:
        if cst_edit.keyword(call, "optimizer") is not None or value is None:
            return cst_edit.with_keyword(call, "optimizer", code)
        args = list(call.args)
        args[0] = args[0].with_changes(value=cst.parse_expression(code))
        return call.with_changes(args=args)

    patched = cst_edit.rewrite_call(source, compile_node.lineno, cst_edit.callee_is("compile"), rewrite)
    return ensure_import(patched) if patched else None


def _is_optimizer_call(call: cst.Call) -> bool:
    return cst_edit.dotted_name(call.func).rsplit(".", 1)[-1] in OPTIMIZER_CLASSES.values()


def _with_settings(call: cst.Call, settings: dict[str, str]) -> cst.Call:
    for key, code in settings.items():
        positional = [arg for arg in call.args if arg.keyword is None]
        if key == "learning_rate" and cst_edit.keyword(call, key) is None and positional:
            args = [arg.with_changes(value=cst.parse_expression(code)) if arg is positional[0] else arg
                    for arg in call.args]
            call = call.with_changes(args=args)
        else:
            call = cst_edit.with_keyword(call, key, code)
    return call


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
def rewrite_layer_call(ctx: RuleContext, layer: LayerInfo | None,
                       rewrite: Callable[[cst.Call], cst.BaseExpression | None]) -> str | None:
    """Rewrite the call that creates ``layer`` (the call of its class on its line)."""
    if layer is None or layer.line is None:
        return None
    return cst_edit.rewrite_call(ctx.source.text, layer.line, cst_edit.callee_is(layer.class_name), rewrite)


def set_layer_keyword(ctx: RuleContext, layer: LayerInfo | None, name: str, code: str,
                      source: str | None = None) -> str | None:
    if layer is None or layer.line is None:
        return None
    return cst_edit.rewrite_call(source if source is not None else ctx.source.text, layer.line,
                                 cst_edit.callee_is(layer.class_name),
                                 lambda call: cst_edit.with_keyword(call, name, code))


def swap_activation(ctx: RuleContext, layer: LayerInfo | None, new: str, source: str | None = None) -> str | None:
    """``activation="relu"`` -> ``activation="<new>"``; a ``ReLU()``/``Activation`` layer likewise."""
    if layer is None or layer.line is None:
        return None

    def rewrite(call: cst.Call) -> cst.BaseExpression | None:
        if layer.class_name in ("ReLU", "Activation"):
            prefix = cst_edit.dotted_name(call.func).rsplit(".", 1)[0]
            prefix = f"{prefix}." if "." in cst_edit.dotted_name(call.func) else ""
            return cst.parse_expression(f'{prefix}Activation("{new}")')
        if cst_edit.keyword(call, "activation") is not None:
            return cst_edit.with_keyword(call, "activation", f'"{new}"')
        positional = [arg for arg in call.args if arg.keyword is None]
        if len(positional) >= 2:
            args = [arg.with_changes(value=cst.SimpleString(f'"{new}"')) if arg is positional[1] else arg
                    for arg in call.args]
            return call.with_changes(args=args)
        return None

    return cst_edit.rewrite_call(source if source is not None else ctx.source.text, layer.line,
                                 cst_edit.callee_is(layer.class_name, "ReLU", "Activation"), rewrite)


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
    dims = len(stats.shape)
    axes = "0" if dims <= 2 else "(" + ", ".join(str(i) for i in range(dims - 1)) + ")"
    text = f"{name} = ({name} - {name}.mean(axis={axes})) / {{np}}.maximum({name}.std(axis={axes}), 1e-8)"
    return insert_data_lines(ctx.source.text, line, text), name


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
    """The loss, a gradient or a weight went NaN/Inf, and GM310 does not tell the story."""
    if weights_corrupted_quietly(rec):
        return False
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


# -- fixes: guarding an op that makes NaN ---------------------------------------------------
GUARDS = {"Log": (("log",), "1e-7"), "Log1p": (("log1p",), "-1.0 + 1e-7"), "Sqrt": (("sqrt",), "1e-12"),
          "Rsqrt": (("rsqrt",), "1e-12")}


class _GuardCalls(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, line: int, names: tuple[str, ...], floor: str) -> None:
        self.line, self.names, self.floor = line, names, floor
        self.count = 0

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        position = self.get_metadata(cst.metadata.PositionProvider, original)
        dotted = cst_edit.dotted_name(updated.func)
        if position.start.line != self.line or dotted.rsplit(".", 1)[-1] not in self.names or not updated.args:
            return updated
        root = dotted.split(".", 1)[0]
        maximum = {"tf": "tf.maximum", "keras": "keras.ops.maximum", "ops": "ops.maximum",
                   "K": "K.maximum"}.get(root)
        if maximum is None:
            return updated
        argument = cst_edit.code_of(updated.args[0].value)
        if argument.startswith(maximum + "("):
            return updated
        guarded = cst.parse_expression(f"{maximum}({argument}, {self.floor})")
        self.count += 1
        return updated.with_changes(args=[updated.args[0].with_changes(value=guarded), *updated.args[1:]])


def guard_op(source: str, line: int, op: str | None) -> str | None:
    """``tf.math.log(p)`` -> ``tf.math.log(tf.maximum(p, 1e-7))`` for every such call on ``line``."""
    if op not in GUARDS:
        return None
    names, floor = GUARDS[op]
    transformer = _GuardCalls(line, names, floor)
    return cst_edit.transform(source, transformer, changed=lambda: bool(transformer.count))


def layer_keyword(source: str, layer: LayerInfo, name: str) -> str | None:
    """The code of the ``name=`` argument of the call creating ``layer``, or None."""
    found: list[str | None] = []

    def look(call: cst.Call) -> None:
        arg = cst_edit.keyword(call, name)
        found.append(cst_edit.code_of(arg.value) if arg is not None else None)
        return None

    if layer.line is None:
        return None
    cst_edit.rewrite_call(source, layer.line, cst_edit.callee_is(layer.class_name), look)
    return found[0] if found else None


def layer_has_keyword(source: str, layer: LayerInfo, name: str, contains: tuple[str, ...] = ()) -> bool:
    """The call creating ``layer`` passes ``name=`` (whose code mentions one of ``contains``, if given)."""
    code = layer_keyword(source, layer, name)
    if code is None:
        return False
    return not contains or any(word in code for word in contains)


def edit_lines(source: str, layers: list[LayerInfo], edit: Callable[[str, LayerInfo], str | None]) -> str | None:
    """Apply ``edit(source, layer)`` once per distinct line (a comprehension makes many layers on one)."""
    seen: set[int] = set()
    text = source
    for layer in layers:
        if layer.line in seen:
            continue
        seen.add(layer.line)
        patched = edit(text, layer)
        if patched is None:
            return None
        text = patched
    return text if text != source else None
