"""Constructed evidence for the pure rule tests: plain dataclasses, no TensorFlow, no training.

``fit_evidence(...)`` gives the evidence of one healthy-looking ``fit`` of a small Dense model; a
test overrides what its rule reads. ``check(source, fit)`` runs every rule on it, as the pipeline
does, and writes the report the user would read (``render(report)``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gradmagic.core.source import SourceUnit
from gradmagic.evidence.facts.compiled import LossEntry, LossSetup
from gradmagic.evidence.facts.data import DataSample
from gradmagic.evidence.facts.model import LayerInfo, ModelInfo, VariableInfo
from gradmagic.evidence.facts.sealed import seal
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.report.model import FitRecord, Report
from gradmagic.report.writer import ReportWriter
from gradmagic.rules.registry import REPORT_POLICY, run_rules
from gradmagic.views.text import render_report

FILENAME = "train.py"


def dense(name: str, units: int, *, inputs: int, activation: str | None = "linear", line: int | None = None,
          inbound: list[str] | None = None, trainable: bool = True) -> LayerInfo:
    """A ``Dense`` layer as ``evidence.model_info`` describes it."""
    return LayerInfo(name=name, class_name="Dense", trainable=trainable, activation=activation,
                     inbound=inbound or [], parent=None, output_shape=f"(None, {units})",
                     params=inputs * units + units, line=line, class_chain=("Dense", "Layer", "Operation"))


def dense_variables(layer: LayerInfo, inputs: int, units: int) -> list[VariableInfo]:
    return [VariableInfo(f"{layer.name}/kernel", layer.name, "float32", (inputs, units), layer.trainable),
            VariableInfo(f"{layer.name}/bias", layer.name, "float32", (units,), layer.trainable)]


def model_info(*layers: tuple[LayerInfo, int, int], name: str = "sequential",
               class_name: str = "Sequential", **overrides: Any) -> ModelInfo:
    """A model of ``(layer, inputs, units)`` layers chained in order."""
    infos, variables = [], []
    previous = None
    for layer, inputs, units in layers:
        layer = replace(layer, inbound=layer.inbound or ([previous] if previous else []))
        infos.append(layer)
        variables.extend(dense_variables(layer, inputs, units))
        previous = layer.name
    units = layers[-1][2] if layers else None
    fields = dict(name=name, class_name=class_name, layers=infos, variables=variables, output_units=(units,),
                  class_chain=(class_name, "Model", "Layer"))
    fields.update(overrides)
    return ModelInfo(**fields)


def loss_setup(text: str = "mse") -> LossSetup:
    """``compile(loss="<text>")``."""
    return LossSetup(structure="single", type_name="str",
                     entries=(LossEntry(key=None, given=True, name=text, class_name="str", module="builtins",
                                        text=text),))


def fit_evidence(**overrides: Any) -> FitEvidence:
    """One ``fit`` of a 4 -> 8 (relu) -> 1 Dense model on arrays with MSE, completed; ``overrides`` win."""
    fields: dict[str, Any] = dict(
        index=0, line=8, method="fit", model_identity=1,
        model_info=model_info((dense("dense", 8, inputs=4, activation="relu", line=5), 4, 8),
                              (dense("dense_1", 1, inputs=8, line=6), 8, 1)),
        data=DataSample(kind="arrays", has_targets=True, element_kind="tuple of 2", batch_size=32, available=True),
        custom_train_step=False, compiled=True, loss=loss_setup("mse"),
    )
    fields.update(overrides)
    return FitEvidence(**fields)


def check(source: str, fit: FitEvidence, earlier: list[FitEvidence] | None = None) -> Report:
    """Every rule on ``fit``, written into a report as the pipeline writes it."""
    report = Report(source=source, filename=FILENAME)
    report.fits.extend(fit_record(each) for each in [*(earlier or []), fit])
    for each in [*(earlier or []), fit]:
        seal(each)  # as the pipeline hands it to the rules: read-only
    writer = ReportWriter(report, REPORT_POLICY)
    failed: list[str] = []
    for finding in run_rules(SourceUnit(source, FILENAME), fit, earlier or [], failed):
        writer.add(finding, fit=fit.index)
    assert not failed, f"a rule raised: {failed}"
    return report


def fit_record(fit: FitEvidence) -> FitRecord:
    """The report's entry for ``fit``, as the pipeline writes it."""
    exception = fit.exception
    return FitRecord(index=fit.index, line=fit.line, status=fit.status,
                     exception_type=exception.type if exception else None,
                     exception_message=exception.message if exception else None,
                     model_name=fit.model_info.name, method=fit.method,
                     exception_line=exception.line if exception else None)


def render(report: Report) -> str:
    """The text report as the CLI prints it, without colour."""
    return render_report(report, color=False)
