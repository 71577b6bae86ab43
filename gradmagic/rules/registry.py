"""The one table of finding codes. Adding a rule: its module, one line here, its tests."""

from __future__ import annotations

from typing import Iterator

from gradmagic.capture.source import SourceUnit
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.report.model import Finding
from gradmagic.rules import (
    gm001_no_gradients,
    gm002_partial_gradients,
    gm003_non_differentiable_op,
    gm004_leaves_tensorflow,
    gm005_outside_tape,
    gm006_missing_loss_or_targets,
    gm007_output_loss_mismatch,
    gm008_untrainable_variable,
    gm009_frozen_weights,
    gm010_traced_call,
    gm101_shape_mismatch,
    gm102_silent_broadcast,
    gm103_degenerate_output,
    gm104_activation_loss_mismatch,
    gm105_label_encoding_mismatch,
    gm106_target_range,
    gm107_task_loss_mismatch,
    gm201_nonfinite_data,
    gm202_unscaled_inputs,
    gm203_constant_feature,
    gm204_unscaled_targets,
    gm301_nonfinite_training,
    gm302_exploding_gradients,
    gm303_vanishing_gradients,
    gm304_dead_units,
    gm305_saturated_activations,
    gm306_zero_gradients,
    gm307_learning_rate_high,
    gm308_learning_rate_low,
    gm309_loss_plateau,
    gm310_weights_corrupted,
)
from gradmagic.rules.base import Rule, RuleContext

RULES: dict[str, Rule] = {
    module.RULE.code: module.RULE
    for module in (
        gm001_no_gradients,
        gm002_partial_gradients,
        gm003_non_differentiable_op,
        gm004_leaves_tensorflow,
        gm005_outside_tape,
        gm006_missing_loss_or_targets,
        gm007_output_loss_mismatch,
        gm008_untrainable_variable,
        gm009_frozen_weights,
        gm010_traced_call,
        gm101_shape_mismatch,
        gm102_silent_broadcast,
        gm103_degenerate_output,
        gm104_activation_loss_mismatch,
        gm105_label_encoding_mismatch,
        gm106_target_range,
        gm107_task_loss_mismatch,
        gm201_nonfinite_data,
        gm202_unscaled_inputs,
        gm203_constant_feature,
        gm204_unscaled_targets,
        gm301_nonfinite_training,
        gm302_exploding_gradients,
        gm303_vanishing_gradients,
        gm304_dead_units,
        gm305_saturated_activations,
        gm306_zero_gradients,
        gm307_learning_rate_high,
        gm308_learning_rate_low,
        gm309_loss_plateau,
        gm310_weights_corrupted,
    )
}


def get_rule(code: str) -> Rule:
    """The rule for ``code`` (e.g. ``"GM003"``); raises KeyError for unknown codes."""
    return RULES[code.upper()]


def run_rules(source: SourceUnit, fit: FitEvidence, earlier: list[FitEvidence]) -> Iterator[Finding]:
    """Every finding of every rule for one ``fit`` call: causes in code order, then symptoms.

    A symptom finding (GM001, GM002) without fixes of its own carries the fixes of the
    cause findings reported with it, so each finding offers the change that clears it.
    """
    context = RuleContext(source=source, fit=fit, earlier_fits=earlier)
    findings = [finding for rule in RULES.values() for finding in rule.detect(context)]
    cause_fixes = [fix for f in findings if not RULES[f.code].symptom for fix in f.fixes]
    for finding in findings:
        if RULES[finding.code].symptom and not finding.fixes:
            finding.fixes = list(cause_fixes)
    yield from sorted(findings, key=lambda f: RULES[f.code].symptom)  # causes first, then symptoms
