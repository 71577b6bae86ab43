"""Pre-flight evidence for the GM1xx/GM2xx pure tests: losses, output heads, array statistics, data origins.

The shapes and numbers follow what ``evidence.preflight`` measures on the end-to-end programs of
``tests/programs/broken/``; a test states only what its rule reads.
"""

from __future__ import annotations

import re
from typing import Any

from evidence_builder import FILENAME, fit_evidence, loss_setup, model_info

from gradmagic.core.source import SourceUnit
from gradmagic.evidence.facts.compiled import LossSetup
from gradmagic.evidence.facts.data import DataOrigin
from gradmagic.evidence.facts.model import LayerInfo
from gradmagic.evidence.facts.preflight import (
    ArrayStats,
    LossInfo,
    OutputCheck,
    Preflight,
)
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.report.model import Finding
from gradmagic.rules.base import RuleContext
from gradmagic.rules.registry import RULES

#: ``compile(loss="<key>")`` as ``evidence.preflight.loss_info`` reads it
LOSSES: dict[str, LossInfo] = {
    "mse": LossInfo("mse", "mean_squared_error", "regression", form="string"),
    "mae": LossInfo("mae", "mean_absolute_error", "regression", form="string"),
    "categorical_crossentropy": LossInfo("categorical_crossentropy", "categorical_crossentropy", "categorical",
                                         form="string"),
    "sparse_categorical_crossentropy": LossInfo("sparse_categorical_crossentropy",
                                                "sparse_categorical_crossentropy", "sparse", form="string"),
    "binary_crossentropy": LossInfo("binary_crossentropy", "binary_crossentropy", "binary", form="string"),
}


def made_at(name: str, line: int, argument: str) -> DataOrigin:
    """``name = ...`` on ``line``, passed to ``fit`` by that name as ``argument`` (so a data fix may edit it)."""
    return DataOrigin(argument=argument, expression=name, name=name, line=line, argument_is_name=True,
                      argument_line=line)


def array(argument: str, shape: tuple[int, ...], *, low: float, high: float, mean: float, std: float,
          origin: DataOrigin | None = None, dtype: str = "float32", integral: bool = False,
          **extra: Any) -> ArrayStats:
    """Statistics of a ``fit`` argument scanned completely (``rows_scanned == rows_total``)."""
    rows = shape[0]
    return ArrayStats(argument=argument, role="targets" if argument.startswith("y") else "inputs",
                      shape=tuple(shape), dtype=dtype, rows_total=rows, rows_scanned=rows,
                      columns=shape[1] if len(shape) == 2 else None, min=low, max=high, mean=mean, std=std,
                      integral=integral, origin=origin, **extra)


def units_of(layer: LayerInfo) -> int:
    return int(re.findall(r"(\d+)\)$", layer.output_shape or "")[0])


def head(layer: LayerInfo, loss: str | LossInfo, targets: ArrayStats | None, *, target_kind: str, relation: str,
         index: int = 0, **extra: Any) -> OutputCheck:
    """The output ``layer`` makes (its activation and units), trained on ``targets`` with ``loss``."""
    units = units_of(layer)
    fields: dict[str, Any] = {
        "index": index, "key": layer.name, "layer": layer.name, "activation": layer.activation,
        "activation_layer": layer, "units_layer": layer, "units": units, "output_shape": (None, units),
        "loss": LOSSES[loss] if isinstance(loss, str) else loss, "targets": targets, "target_kind": target_kind,
        "relation": relation,
    }
    fields.update(extra)
    return OutputCheck(**fields)


def preflight(*outputs: OutputCheck, inputs: tuple[ArrayStats, ...] = (), **extra: Any) -> Preflight:
    """The pre-flight of one ``fit``: its heads, its inputs, and the heads' targets as ``fit`` got them."""
    targets = [output.targets for output in outputs if output.targets is not None]
    origins = {stats.argument: stats.origin for stats in (*inputs, *targets) if stats.origin is not None}
    fields: dict[str, Any] = {"outputs": list(outputs), "inputs": list(inputs), "targets": targets,
                              "origins": origins, "input_layers": ["Dense"], "output_layers": ["Dense"],
                              "forward_pass": True}
    fields.update(extra)
    return Preflight(**fields)


def preflight_fit(checks: Preflight, layers: list[tuple[LayerInfo, int, int]], *, loss: str | LossSetup,
                  line: int, **overrides: Any) -> FitEvidence:
    """One ``fit`` on ``line`` of a Dense model of ``layers`` compiled with ``loss`` (``"mse"``: that string),
    with ``checks`` as its pre-flight."""
    fields: dict[str, Any] = {"line": line, "model_info": model_info(*layers), "preflight": checks,
                              "loss": loss_setup(loss) if isinstance(loss, str) else loss}
    fields.update(overrides)
    return fit_evidence(**fields)


def detected(code: str, source: str, fit: FitEvidence) -> list[Finding]:
    """What one rule's detector says on its own, before the registry drops or links anything."""
    return list(RULES[code].detect(RuleContext(source=SourceUnit(source, FILENAME), fit=fit)))
