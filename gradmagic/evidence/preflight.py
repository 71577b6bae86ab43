"""Pre-flight: what the loss, the output heads, the targets and the inputs are, before step one.

Nothing here trains or changes the model. The data looked at is bounded: the first batch
``fit`` will see (already sampled by ``batches.py`` without consuming it) and, when ``fit``
got in-memory arrays, at most ``SCAN_ROWS`` rows (and ``SCAN_ELEMENTS`` numbers) of them.
The model's structure comes first; a forward pass on the first batch (inside a ``tf.function``
in inference mode: no eager side effect of the user's layers, no state update) runs only when
the structure leaves something open or looks wrong, to measure the numbers a finding reports.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from gradmagic.capture.live_fit import LiveFit
from gradmagic.core.source import SourceUnit
from gradmagic.evidence.batches import FitBatch, as_tensors
from gradmagic.evidence.data_origin import data_origins
from gradmagic.evidence.facts.data import DataOrigin
from gradmagic.evidence.facts.model import LayerInfo, ModelInfo
from gradmagic.evidence.facts.preflight import ArrayStats, LossInfo, OutputCheck, Preflight
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.evidence.id_inputs import input_readers, measure_ids

SCAN_ROWS = 100_000
SCAN_ELEMENTS = 2_000_000

LOSS_FAMILIES = {
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse",
    "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary",
    "mean_squared_error": "regression",
    "mean_absolute_error": "regression",
    "huber": "regression",
    "huber_loss": "regression",
    "log_cosh": "regression",
    "mean_squared_logarithmic_error": "regression",
    "mean_absolute_percentage_error": "regression",
    "hinge": "hinge",
    "squared_hinge": "hinge",
    "categorical_hinge": "hinge",
    "kl_divergence": "distribution",
    "poisson": "count",
    "cosine_similarity": "other",
}
# The keras.losses class computing each built-in loss function (used to measure the loss value).
LOSS_CLASSES = {
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_crossentropy": "BinaryCrossentropy",
    "mean_squared_error": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError",
    "huber": "Huber",
}
ACTIVATION_LAYERS = {"Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU"}
PASSTHROUGH_LAYERS = {
    "Dropout", "Flatten", "Reshape", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization", "Identity", "Permute",
}
MODEL_CLASSES = {"Sequential", "Functional", "Model"}


# -- entry point -----------------------------------------------------------------------
def run_preflight(evidence: FitEvidence, source: SourceUnit, live: LiveFit) -> Preflight:
    """Describe loss, outputs, targets and a bounded sample of the data of one ``fit`` call
    (``live``: the model, its loss and the call's arguments, as the user made them)."""
    started = time.perf_counter()
    result = Preflight()
    data = live.batch
    result.origins = data_origins(source.tree, evidence.line)
    whole = data.kind == "arrays"  # otherwise only the first batch is known, not how many rows follow
    result.inputs = _scan_structure(data.full_x if data.full_x is not None else data.x, "x", "inputs",
                                    result.origins, whole)
    targets = data.full_y if data.full_y is not None else data.y
    result.targets = _scan_structure(targets, "y", "targets", result.origins, whole) if data.has_targets else []
    result.sampled = _sampled(data, result.inputs)
    result.input_layers = _input_layer_classes(evidence.model_info)
    _scan_id_inputs(evidence, result, live)
    result.metrics = _metric_names(live.model)
    if evidence.compiled and not evidence.custom_train_step:
        _build(live)
        result.outputs = _outputs(evidence, result, live)
    result.seconds = round(time.perf_counter() - started, 4)
    return result


# -- data ------------------------------------------------------------------------------
def _structure(value: Any, argument: str) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [(f"{argument}[{key!r}]", item) for key, item in value.items()]
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "shape"):
        return [(f"{argument}[{i}]", item) for i, item in enumerate(value)]
    return [(argument, value)]


def _scan_structure(value: Any, argument: str, role: str, origins: dict[str, DataOrigin],
                    whole: bool = True) -> list[ArrayStats]:
    found = []
    for name, array in _structure(value, argument):
        stats = scan_array(array, name, role)
        if stats is not None:
            if not whole:
                stats.rows_total = None
            stats.origin = origins.get(name) or (origins.get(argument) if name == argument else None)
            found.append(stats)
    return found


def _rows(array: Any, rows: int) -> np.ndarray:
    if hasattr(array, "iloc"):
        return np.asarray(array.iloc[:rows].to_numpy())
    if isinstance(array, (tf.Tensor, tf.Variable)):
        return np.asarray(array[:rows])
    if isinstance(array, list):
        return np.asarray(array[:rows])
    return np.asarray(array[:rows])


def scan_array(array: Any, argument: str, role: str) -> ArrayStats | None:
    """NaN/Inf counts, range and constant columns of at most ``SCAN_ROWS`` rows of ``array``."""
    shape = tuple(getattr(array, "shape", None) or np.shape(array))
    if not shape:
        return None
    rows_total = int(shape[0]) if shape[0] is not None else None
    row_size = int(np.prod([d or 1 for d in shape[1:]])) if len(shape) > 1 else 1
    limit = min(SCAN_ROWS, max(64, SCAN_ELEMENTS // max(row_size, 1)))  # rows: bounded by rows and by numbers
    rows = min(rows_total, limit) if rows_total is not None else limit
    values = _rows(array, rows)
    stats = ArrayStats(argument=argument, role=role, shape=shape, dtype=str(values.dtype),
                       rows_total=rows_total, rows_scanned=int(values.shape[0]) if values.ndim else 0)
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number) or values.size == 0:
        stats.numeric = values.dtype == bool
        return stats
    floating = np.issubdtype(values.dtype, np.floating)
    finite_mask = np.isfinite(values) if floating else None
    bad_count = int(values.size - np.count_nonzero(finite_mask)) if floating else 0
    if bad_count:
        stats.nan_count = int(np.isnan(values).sum())
        stats.inf_count = bad_count - stats.nan_count
        bad = ~finite_mask
        stats.first_nonfinite = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), values.shape))
        stats.nonfinite_rows = int(bad.reshape(bad.shape[0], -1).any(axis=1).sum())
        if values.ndim in (2, 3):  # features are the last axis: (rows, features) or (rows, steps, features)
            by_feature = bad.reshape(-1, bad.shape[-1])
            stats.nonfinite_columns = [int(c) for c in np.flatnonzero(by_feature.any(axis=0))]
            stats.all_nonfinite_columns = [int(c) for c in np.flatnonzero(by_feature.all(axis=0))]
        finite = np.where(finite_mask, values, np.nan)
    else:
        finite = values
    _describe_values(stats, finite, masked=bool(bad_count))
    return stats


def _describe_values(stats: ArrayStats, values: np.ndarray, masked: bool) -> None:
    """Range, mean, spread, integrality and constant columns, in few passes (NaN marks masked values)."""
    # no `warnings.catch_warnings()` here: changing the warning filters, even for a moment, resets
    # Python's "once per location" registries, and the user would see their warnings again
    with np.errstate(all="ignore"):
        if values.ndim in (2, 3) and values.shape[0] >= 2:
            by_feature = values.reshape(-1, values.shape[-1])
            if masked:  # per column, NaN (masked) ignored; NaN for a column that is all NaN
                present = ~np.isnan(by_feature)
                low = np.where(present, by_feature, np.inf).min(axis=0)
                high = np.where(present, by_feature, -np.inf).max(axis=0)
                empty = ~present.any(axis=0)
                low, high = np.where(empty, np.nan, low), np.where(empty, np.nan, high)
            else:
                low, high = by_feature.min(axis=0), by_feature.max(axis=0)
            stats.columns = int(values.shape[-1])
            constant = np.flatnonzero(np.isfinite(low) & (low == high))
            stats.constant_columns = [int(c) for c in constant]
            stats.constant_values = [float(low[c]) for c in constant]
            if not np.isfinite(low).any():
                return  # every value is NaN/Inf
            low, high = np.nanmin(low), np.nanmax(high)
        else:
            if values.ndim == 2:
                stats.columns = int(values.shape[1])
            kept = values[~np.isnan(values)] if masked else values
            if not kept.size:
                return  # every value is NaN/Inf
            low, high = kept.min(), kept.max()
        if not np.isfinite(low):
            return  # every value is NaN/Inf
        stats.min, stats.max = float(low), float(high)
        mean = np.nanmean(values, dtype=np.float64) if masked else values.mean(dtype=np.float64)
        std = np.nanstd(values, dtype=np.float64) if masked else values.std(dtype=np.float64)
        stats.mean, stats.std = float(mean), float(std)
    stats.integral = _integral(values)


def _integral(values: np.ndarray) -> bool:
    """All finite values are whole numbers (checked on a prefix first: most float data fails fast)."""
    if np.issubdtype(values.dtype, np.integer):
        return True
    flat = values.reshape(-1)
    for part in (flat[:1024], flat):
        finite = part[np.isfinite(part)]
        if finite.size and not np.array_equal(finite, np.floor(finite)):
            return False
    return True


def _sampled(data: FitBatch, inputs: list[ArrayStats]) -> str:
    if data.kind == "arrays" and inputs:
        first = inputs[0]
        return f"{first.rows_scanned} of {first.rows_total} rows"
    if data.available:
        rows = inputs[0].rows_scanned if inputs else "?"
        return f"the first batch ({rows} rows) of the {data.kind}"
    return f"no values (the {data.kind} was not sampled)"


# -- the model -------------------------------------------------------------------------
def _input_layer_classes(info: ModelInfo) -> list[str]:
    """Classes of the layers that read the model's inputs directly (nested models looked into)."""
    layers = [layer for layer in info.layers if layer.class_name != "InputLayer"]
    inputs = {layer.name for layer in info.layers if layer.class_name == "InputLayer"}
    first = [layer for layer in layers if inputs & set(layer.inbound)]
    if not first:
        top = [layer for layer in layers if layer.parent is None]
        first = top[:1]
    found: list[str] = []
    for layer in first:
        while layer is not None and layer.class_name in MODEL_CLASSES | {"Sequential"}:
            children = [child for child in info.layers if child.parent == layer.name and child.class_name != "InputLayer"]
            layer = children[0] if children else None
        if layer is not None:
            found.append(layer.class_name)
    return found


def _scan_id_inputs(evidence: FitEvidence, result: Preflight, live: LiveFit) -> None:
    """Which layers read each input directly; for Embedding & co, how many values are not ids in range."""
    try:
        readers = input_readers(live.model, evidence.model_info)
    except Exception:  # noqa: BLE001 - an unusual model structure: no mapping, GM202 falls back
        return
    result.input_readers = {argument: [layer.class_name for layer in layers] for argument, layers in readers.items()}
    data = live.batch
    arrays = dict(_structure(data.full_x if data.full_x is not None else data.x, "x"))
    rows = {stats.argument: stats.rows_scanned for stats in result.inputs}
    result.id_inputs = measure_ids(readers, live.model, arrays, rows, _rows)


def _metric_names(model: keras.Model) -> list[str]:
    try:
        metrics = model.get_compile_config().get("metrics")
    except Exception:  # noqa: BLE001 - not compiled, or a custom compile()
        return []
    names: list[str] = []
    for item in keras.tree.flatten(metrics) if metrics is not None else []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and "class_name" in item:
            names.append(str(item["class_name"]))
    return names


def _children(info: ModelInfo, name: str) -> list[LayerInfo]:
    return [layer for layer in info.layers if layer.parent == name and layer.class_name != "InputLayer"]


def head_layers(info: ModelInfo) -> list[tuple[str, LayerInfo | None]]:
    """``(key, layer)`` per output: functional outputs by name, else the last top-level layer."""
    if info.outputs:
        return [(head.key, info.layer(head.layer)) for head in info.outputs]
    top = [layer for layer in info.layers if layer.parent is None and layer.class_name != "InputLayer"]
    return [(top[-1].name if top else "output", top[-1] if top else None)]


def trace_activation(info: ModelInfo, layer: LayerInfo | None) -> tuple[str | None, LayerInfo | None, LayerInfo | None, list[str]]:
    """Walk back from an output layer: ``(activation, activation layer, units layer, classes seen)``.

    Activation-only layers (``Activation``, ``Softmax``) give the activation; shape-only layers
    (``Dropout``, ``Flatten``) are looked through; the first layer with units ends the walk.
    """
    activation: str | None = None
    activation_layer: LayerInfo | None = None
    seen: list[str] = []
    for _ in range(32):
        if layer is None:
            return None, activation_layer, None, seen
        children = _children(info, layer.name)
        if children:  # a model used as a layer: go on from its own output layer (no sibling reads it)
            read = {name for child in children for name in child.inbound}
            sinks = [child for child in children if child.name not in read and child.class_name != "InputLayer"]
            layer = sinks[0] if sinks else children[-1]
            continue
        seen.append(layer.class_name)
        if layer.class_name in ACTIVATION_LAYERS:
            if activation is None:
                activation, activation_layer = layer.activation, layer
        elif layer.class_name not in PASSTHROUGH_LAYERS:
            if layer.activation is None:
                return (activation, activation_layer, layer, seen) if activation else (None, None, layer, seen)
            if activation is None:
                activation, activation_layer = layer.activation, layer
            return activation, activation_layer, layer, seen
        if len(layer.inbound) != 1:
            return activation, activation_layer, None, seen
        layer = info.layer(layer.inbound[0])
    return activation, activation_layer, None, seen


def loss_info(loss: Any) -> LossInfo:
    """What a ``loss=`` entry computes: built-in name, family and ``from_logits``."""
    if loss is None:
        return LossInfo("", None, "none")
    if isinstance(loss, str):
        try:
            function = keras.losses.get(loss)
        except Exception:  # noqa: BLE001 - unknown string: Keras will raise at compile
            return LossInfo(loss, None, "custom", form="string")
        name = getattr(function, "__name__", loss)
        return LossInfo(loss, name, LOSS_FAMILIES.get(name, "other"), False, "string")
    if isinstance(loss, keras.losses.Loss):
        function = getattr(loss, "fn", None)
        builtin = function is not None and _is_keras(function) and _is_keras(type(loss))
        try:
            from_logits = bool(loss.get_config().get("from_logits", False))
        except Exception:  # noqa: BLE001 - a custom Loss without a config
            from_logits = False
        if builtin:
            name = function.__name__
            return LossInfo(type(loss).__name__, name, LOSS_FAMILIES.get(name, "other"), from_logits, "object")
        return LossInfo(type(loss).__name__, None, "custom", from_logits, "custom-object")
    keywords = getattr(loss, "keywords", None) or {}
    function = getattr(loss, "func", loss)
    name = getattr(function, "__name__", type(loss).__name__)
    if _is_keras(function):
        return LossInfo(name, name, LOSS_FAMILIES.get(name, "other"), bool(keywords.get("from_logits", False)),
                        "function")
    return LossInfo(name, None, "custom", False, "custom-function")


def _is_keras(thing: Any) -> bool:
    return str(getattr(thing, "__module__", "")).startswith("keras")


def _loss_for(config: Any, index: int, key: str, layer: str | None, heads: int) -> Any:
    if isinstance(config, dict):
        return config.get(key, config.get(layer) if layer else None)
    if isinstance(config, (list, tuple)):
        return config[index] if index < len(config) else None
    return config


def _targets_for(targets: list[ArrayStats], index: int, key: str, layer: str | None, heads: int) -> ArrayStats | None:
    if heads == 1 and len(targets) == 1:
        return targets[0]
    wanted = {f"y[{index}]", f"y[{key!r}]"} | ({f"y[{layer!r}]"} if layer else set())
    return next((t for t in targets if t.argument in wanted), None)


def shape_relation(target: tuple, output: tuple) -> str:
    """How a target shape (batch dim dropped) relates to an output shape.

    ``same``; ``expand`` (targets lack the trailing 1: `(N,)` vs `(N, 1)`); ``squeeze`` (the
    reverse); ``ids`` (one class id per row: `(N,)` vs `(N, K)`); ``ids-column`` (`(N, 1)`
    vs `(N, K)`); ``different``.
    """
    if target == output:
        return "same"
    if len(target) == len(output) - 1 and output[-1] == 1 and target == output[:-1]:
        return "expand"
    if len(target) == len(output) + 1 and target[-1] == 1 and target[:-1] == output:
        return "squeeze"
    if len(target) == len(output) - 1 and target == output[:-1]:
        return "ids"
    if len(target) == len(output) and target and target[-1] == 1 and target[:-1] == output[:-1]:
        return "ids-column"
    return "different"


def _build(live: LiveFit) -> None:
    """Build an unbuilt model the way ``fit`` (and the probe right after) would."""
    from gradmagic.evidence.probe import ensure_built

    if live.batch.available and not live.model.built:
        try:
            ensure_built(live.model, live.batch)
        except Exception:  # noqa: BLE001 - the probe reports what stops the model from building
            pass


def _forward(model: keras.Model, x: Any) -> list[np.ndarray] | dict[str, np.ndarray] | None:
    """The model's outputs on the first batch, in inference mode, without eager side effects."""
    if x is None or not model.built:
        return None
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # a fresh tf.function per fit call would print TF's retracing warning
    inputs = as_tensors(x)
    try:
        try:  # without autograph the trace is about twice as fast; Python control flow on tensors needs it
            outputs = tf.function(lambda batch: model(batch, training=False), autograph=False)(inputs)
        except Exception:  # noqa: BLE001
            outputs = tf.function(lambda batch: model(batch, training=False))(inputs)
    except Exception:  # noqa: BLE001 - a model that cannot run here is left to the probe to explain
        return None
    finally:
        logger.setLevel(level)
    if isinstance(outputs, dict):
        return {str(k): np.asarray(v) for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(v) for v in outputs]
    return [np.asarray(outputs)]


def _observed(forward: Any, index: int, key: str) -> np.ndarray | None:
    if forward is None:
        return None
    if isinstance(forward, dict):
        return forward.get(key)
    return forward[index] if index < len(forward) else None


def _symbolic_shape(model: keras.Model, index: int, key: str) -> tuple | None:
    try:
        output = model.output
        if isinstance(output, dict):
            return tuple(output[key].shape)
        return tuple(keras.tree.flatten(output)[index].shape)
    except Exception:  # noqa: BLE001 - a Sequential never called has `outputs` but no `output`
        pass
    try:
        return tuple(model.outputs[index].shape)
    except Exception:  # noqa: BLE001 - subclassed or unbuilt
        return None


def _outputs(evidence: FitEvidence, preflight: Preflight, live: LiveFit) -> list[OutputCheck]:
    """Each head from the model's structure; then, only when something looks off (or the
    structure says too little), one forward pass on the first batch for the measured numbers."""
    info = evidence.model_info
    heads = head_layers(info)
    structural = bool(info.outputs) or info.class_name == "Sequential"
    found = []
    for index, (key, layer) in enumerate(heads):
        # a subclassed model's output layer is not known from its structure: leave it unnamed
        check = OutputCheck(index=index, key=key, layer=layer.name if layer and structural else None,
                            activation=None)
        if structural:
            activation, check.activation_layer, check.units_layer, seen = trace_activation(info, layer)
            check.activation = activation
            preflight.output_layers.extend(seen)
        check.loss = loss_info(_loss_for(live.loss, index, key, check.layer, len(heads)))
        check.targets = _targets_for(preflight.targets, index, key, check.layer, len(heads))
        _set_output_shape(evidence, live, check, _symbolic_shape(live.model, index, key))
        found.append(check)
    if any(_worth_observing(check) for check in found):
        forward = _forward(live.model, live.batch.x)
        preflight.forward_pass = forward is not None
        y_sample = dict(_structure(live.batch.y, "y")) if live.batch.has_targets else {}
        for check in found:
            observed = _observed(forward, check.index, check.key)
            if observed is None or not observed.ndim:
                continue
            if check.output_shape is None:
                _set_output_shape(evidence, live, check, (None, *observed.shape[1:]))
            _describe_observed(check, observed)
            if check.activation is None:
                check.activation, check.activation_from = _activation_from_values(check), "observed"
            sample_y = y_sample.get(check.targets.argument) if check.targets else None
            if sample_y is not None:
                check.loss_value = _loss_value(check.loss, sample_y, observed)
                if check.loss.form == "custom-object":
                    raw_loss = _loss_for(live.loss, check.index, check.key, check.layer, len(found))
                    check.broadcast = _broadcast(raw_loss, sample_y, observed)
    return found


def _set_output_shape(evidence: FitEvidence, live: LiveFit, check: OutputCheck, shape: tuple | None) -> None:
    """Output shape, units, and how the targets' shape and encoding relate to it."""
    if not shape:
        return
    check.output_shape = (None, *shape[1:])
    if len(shape) > 1:
        check.units = shape[-1]
    if check.targets is not None:
        check.relation = shape_relation(tuple(check.targets.shape[1:]), tuple(check.output_shape[1:]))
        _target_kind(live.batch, check)
    else:
        spec_shape = _spec_target_shape(live.arguments.get("x"), check.index)
        if spec_shape is not None:
            check.relation = shape_relation(spec_shape, tuple(check.output_shape[1:]))


def _worth_observing(check: OutputCheck) -> bool:
    """Whether the measured outputs could back a finding about this head (or its structure is unknown)."""
    if check.output_shape is None or check.activation is None:
        return True
    family, units = check.loss.family, check.units or 1
    if check.loss.form == "custom-object" and check.targets is not None:
        return True  # GM102: does the custom loss broadcast?
    if check.activation == "softmax" and units == 1:
        return True
    if family in ("categorical", "sparse", "binary"):
        return units == 1 or check.activation not in ("softmax", "sigmoid") or check.loss.from_logits \
            or (check.activation == "sigmoid" and family != "binary")
    targets = check.targets
    return family == "regression" and targets is not None and targets.mean is not None \
        and max(abs(targets.mean), targets.std or 0.0) >= 100


def _describe_observed(check: OutputCheck, observed: np.ndarray) -> None:
    values = observed.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size:
        check.observed_min, check.observed_max = float(finite.min()), float(finite.max())
    check.observed_constant = bool(finite.size == values.size and np.ptp(values, axis=0).max() == 0) \
        if values.shape[0] > 1 else None
    if values.ndim >= 2 and finite.size == values.size:
        check.observed_row_sums_one = bool(np.allclose(values.sum(axis=-1), 1.0, atol=1e-3))


def _activation_from_values(check: OutputCheck) -> str | None:
    """softmax/sigmoid/linear as far as the first batch's outputs show (subclassed models)."""
    if check.observed_min is None:
        return None
    in_unit = check.observed_min >= 0.0 and check.observed_max <= 1.0
    if in_unit and check.observed_row_sums_one and (check.units or 1) > 1:
        return "softmax"
    if in_unit and check.units == 1 and check.observed_min == 1.0:
        return "softmax"
    return "sigmoid" if in_unit else "linear"


def _target_kind(data: FitBatch, check: OutputCheck) -> None:
    """Encoding of the targets over the scanned rows: one-hot, integer ids, binary or continuous."""
    source = data.full_y if data.full_y is not None else data.y
    array = dict(_structure(source, "y")).get(check.targets.argument)
    if array is None:
        return
    stats = check.targets
    values = _rows(array, stats.rows_scanned)
    if not np.issubdtype(values.dtype, np.number) and values.dtype != bool:
        return
    check.target_kind = target_encoding(values, check.units)
    check.prior_loss = _prior_loss(values, check.target_kind)
    if stats.integral and stats.max is not None and stats.min is not None and stats.max - stats.min < 10_000:
        finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
        check.target_classes = int(np.unique(finite).size)
        if check.units:
            check.ids_out_of_range = int(((finite < 0) | (finite >= check.units)).sum())


def _prior_loss(values: np.ndarray, kind: str) -> float | None:
    """Entropy of the label distribution: the cross-entropy of predicting the class frequencies."""
    with np.errstate(all="ignore"):
        if kind == "one-hot" and values.ndim == 2:
            frequencies = values.mean(axis=0)
        elif kind in ("integer", "binary"):
            _, counts = np.unique(values[np.isfinite(values)] if values.dtype.kind == "f" else values,
                                  return_counts=True)
            frequencies = counts / counts.sum() if counts.size else counts
        else:
            return None
        frequencies = frequencies[frequencies > 0]
        return float(-(frequencies * np.log(frequencies)).sum()) if frequencies.size > 1 else None


def target_encoding(values: np.ndarray, units: int | None) -> str:
    """``one-hot``, ``integer`` (class ids), ``binary`` (0/1 for one unit) or ``continuous``."""
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return "unknown"
    integral = bool(np.array_equal(finite, np.floor(finite)))
    zero_one = integral and bool(((finite == 0) | (finite == 1)).all())
    if values.ndim >= 2 and values.shape[-1] > 1 and zero_one and bool((values.sum(axis=-1) == 1).all()):
        return "one-hot"
    if zero_one and (units is None or units == 1):
        return "binary"
    if integral and finite.min() >= 0:
        return "integer"
    return "continuous"


def _spec_target_shape(dataset: Any, index: int) -> tuple | None:
    spec = getattr(dataset, "element_spec", None)
    if not isinstance(spec, tuple) or len(spec) < 2:
        return None
    targets = keras.tree.flatten(spec[1])
    if index >= len(targets) or not hasattr(targets[index], "shape"):
        return None
    return tuple(targets[index].shape[1:])


def _loss_value(loss: LossInfo, y: Any, y_pred: np.ndarray) -> float | None:
    class_name = LOSS_CLASSES.get(loss.name or "")
    if class_name is None:
        return None
    try:
        function = getattr(keras.losses, class_name)(from_logits=loss.from_logits) \
            if "Crossentropy" in class_name else getattr(keras.losses, class_name)()
        return float(function(as_tensors(y), tf.convert_to_tensor(y_pred)))
    except Exception:  # noqa: BLE001 - shapes Keras rejects: the shape rules explain those
        return None


def _broadcast(loss: Any, y: Any, y_pred: np.ndarray) -> dict[str, Any] | None:
    """For a custom ``keras.losses.Loss``: does `(N,)` against `(N, 1)` change the loss value?"""
    targets = np.asarray(y)
    if targets.shape == y_pred.shape or targets.size != y_pred.size or targets.ndim == y_pred.ndim:
        return None
    try:
        as_written = float(loss(tf.convert_to_tensor(targets.astype(y_pred.dtype)), tf.convert_to_tensor(y_pred)))
        aligned = float(loss(tf.convert_to_tensor(targets.reshape(y_pred.shape).astype(y_pred.dtype)),
                             tf.convert_to_tensor(y_pred)))
    except Exception:  # noqa: BLE001 - a loss that refuses the shapes raises in fit instead
        return None
    if np.isclose(as_written, aligned, rtol=1e-5, atol=1e-7) or not np.isfinite([as_written, aligned]).all():
        return None
    shape = tuple(np.broadcast_shapes(targets.shape, y_pred.shape))
    return {"target_shape": targets.shape, "output_shape": y_pred.shape, "broadcast_shape": shape,
            "loss_as_written": round(as_written, 4), "loss_aligned": round(aligned, 4)}


