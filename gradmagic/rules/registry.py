"""The one table of finding codes. Adding a rule: its module, one line here, its tests."""

from __future__ import annotations

from typing import Iterator

from gradmagic.core.source import SourceUnit
from gradmagic.evidence.fit_evidence import FitEvidence
from gradmagic.report.model import Finding, listed_layers
from gradmagic.report.writer import ReportPolicy
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
    gm011_loss_ignores_prediction,
    gm012_tape_misuse,
    gm013_optimizer_variable_mismatch,
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
    gm205_non_integer_ids,
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
        gm011_loss_ignores_prediction,
        gm012_tape_misuse,
        gm013_optimizer_variable_mismatch,
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
        gm205_non_integer_ids,
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


# -- how findings relate (the one place; handed to the report writer as ``REPORT_POLICY``) -------

_NO_GRADIENT_CAUSES = ("GM003", "GM004", "GM005", "GM006", "GM007", "GM008", "GM009", "GM010",
                       "GM011", "GM012")

#: symptom code -> the codes it follows from when found in the same ``fit`` (first found wins).
#: The consequence gets ``caused_by`` = the cause's index. Must stay acyclic.
CONSEQUENCES: dict[str, tuple[str, ...]] = {
    "GM001": _NO_GRADIENT_CAUSES,
    "GM002": _NO_GRADIENT_CAUSES,
    "GM301": ("GM201", "GM203", "GM307", "GM302", "GM204"),
    "GM310": ("GM201", "GM203", "GM307", "GM302", "GM204"),
    "GM304": ("GM201", "GM307", "GM302", "GM310", "GM301"),  # a NaN kernel looks dead under oneDNN
    "GM305": ("GM202",),
    "GM303": ("GM305", "GM304"),
    "GM306": ("GM003", "GM104", "GM304", "GM305"),
    "GM309": ("GM103", "GM104", "GM009", "GM201", "GM203", "GM302", "GM307", "GM308", "GM304", "GM305", "GM306",
              "GM303", "GM202", "GM204"),
}

#: code -> ``(code, scope)`` of findings that say the same cause more precisely; a finding is dropped
#: when one of them fired in the same fit (``"fit"``), on the same line (``"line"``) or for the same
#: model output (``"output"``: ``evidence["output"]``). Targets and outputs whose shapes cannot be
#: compared (GM101) make every other verdict on that head meaningless. A softmax over
#: one unit (GM103) is also why the targets are out of range (GM106) and why every gradient is 0 (GM306).
#: A superseded code must not be a cause in CONSEQUENCES of the code that supersedes it.
SUPERSEDED_BY: dict[str, tuple[tuple[str, str], ...]] = {
    "GM103": (("GM101", "output"),),
    "GM104": (("GM101", "output"),),
    "GM106": (("GM103", "line"), ("GM101", "output")),
    "GM107": (("GM101", "output"),),
    # weights that turned NaN/Inf while the loss still looked finite: GM310 tells that story
    "GM301": (("GM310", "fit"),),
    "GM306": (("GM103", "fit"),),
    # targets far from unit scale are why the gradient grows (and "clip it" would hide the cause)
    "GM302": (("GM204", "fit"),),
    # tiny updates from exploding, vanishing or saturated gradients, or from unscaled data, are not the learning rate's
    "GM308": (("GM302", "fit"), ("GM303", "fit"), ("GM305", "fit"), ("GM202", "fit"), ("GM204", "fit")),
}


def drop_superseded(findings: list[Finding]) -> list[Finding]:
    """``findings`` (of one fit) without those another of them says more precisely (``SUPERSEDED_BY``)."""
    def superseded(finding: Finding) -> bool:
        return any(other.code == code and _same(scope, other, finding)
                   for code, scope in SUPERSEDED_BY.get(finding.code, ()) for other in findings)

    return [finding for finding in findings if not superseded(finding)]


def _same(scope: str, a: Finding, b: Finding) -> bool:
    if scope == "line":
        return a.line == b.line
    if scope == "output":
        return (a.evidence or {}).get("output") == (b.evidence or {}).get("output")
    return True  # "fit"


#: codes reported per layer: one finding per fit lists every layer (``evidence["layers"]``).
LAYER_MERGED_CODES: tuple[str, ...] = ("GM002", "GM302", "GM303", "GM304", "GM305", "GM306", "GM310")


def _dead_units_summary(entries: list[dict]) -> str:
    listed = listed_layers(entries, lambda e: f"{e.get('dead_units')}/{e.get('units')}")
    return f"units of {len(entries)} layers output 0 for every sample, so they are dead and cannot learn: {listed}"


def _saturated_summary(entries: list[dict]) -> str:
    def share(entry: dict) -> str:
        fraction = entry.get("saturated_fraction")
        percent = f", {int(round(fraction * 100))} %" if isinstance(fraction, (int, float)) else ""
        return f"{entry.get('activation')}{percent}"

    return (f"most outputs of {len(entries)} layers sit in their flat region, where the gradient is almost 0: "
            f"{listed_layers(entries, share)}")


#: code -> the message of a finding merged over several layers (default: the first layer's
#: message and the other layers' names).
LAYER_SUMMARIES = {"GM304": _dead_units_summary, "GM305": _saturated_summary}

#: what the report writer needs of the tables above, and each rule's documentation
REPORT_POLICY = ReportPolicy(
    layer_merged_codes=frozenset(LAYER_MERGED_CODES),
    layer_summaries=LAYER_SUMMARIES,
    consequences=CONSEQUENCES,
    docs={code: (rule.doc or "").strip() for code, rule in RULES.items()},
)


def run_rules(source: SourceUnit, fit: FitEvidence, earlier: list[FitEvidence],
              failed: list[str] | None = None) -> Iterator[Finding]:
    """Every finding of every rule for one ``fit`` call: causes in code order, then symptoms.

    A symptom finding (GM001, GM002) without fixes of its own carries the fixes of the
    cause findings reported with it, so each finding offers the change that clears it.
    A rule that raises is skipped (its code and error appended to ``failed``); the others still run.
    """
    context = RuleContext(source=source, fit=fit, earlier_fits=earlier)
    findings = []
    for rule in RULES.values():
        try:
            findings.extend(rule.detect(context))
        except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others' findings
            if failed is not None:
                failed.append(f"{rule.code} ({type(error).__name__}: {error})")
    findings = drop_superseded(findings)
    cause_fixes = [fix for f in findings if not RULES[f.code].symptom for fix in f.fixes]
    for finding in findings:
        if RULES[finding.code].symptom and not finding.fixes:
            finding.fixes = list(cause_fixes)
    yield from sorted(findings, key=lambda f: RULES[f.code].symptom)  # causes first, then symptoms
