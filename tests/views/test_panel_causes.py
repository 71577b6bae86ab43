"""One card per cause (issue 13, point 1): how the panel groups the findings of a report.

``causeGroups`` (labextension/src/panel/findings.ts, run from the built bundle under Node by
``panel_dom_harness.mjs``) makes one group per cause (``caused_by`` null), causes ordered by
severity, each with every finding that follows from it, directly or not. The fixtures are real
reports: ``nan_relu_causes`` (one NaN in ``x`` of a ReLU MLP with oneDNN on: GM201 and the GM310,
GM304, GM309 that follow from it) and ``sgd_lr_causes`` (SGD with learning rate 5 on a regression
MLP). The browser side (what the cards show) is ``tests/ui/specs/causes.spec.ts``.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_panel_items import run_js

from gradmagic.report.model import Report
from gradmagic.views.widget import CellText, panel_payloads

FIXTURES = Path(__file__).parent / "fixtures"


def cards(name: str) -> list[dict]:
    report = Report.from_dict(json.loads((FIXTURES / f"{name}.json").read_text()))
    return panel_payloads(report, CellText(cell_id=None, text=report.source))["findings"]


def groups(findings: list[dict], tmp_path: Path) -> list[dict]:
    return run_js([{"fn": "causeGroups", "args": [findings]}], tmp_path)[0]


def test_nan_in_x_is_one_cause_with_what_followed(tmp_path):
    findings = cards("nan_relu_causes")
    assert [f["code"] for f in findings] == ["GM201", "GM310", "GM304", "GM309"]
    assert groups(findings, tmp_path) == [{"cause": 0, "followed": [1, 2, 3]}]
    # the report keeps the consequences' own fixes; the panel shows them nowhere (drawn: the spec)
    assert "leaky-relu" in [fix["id"] for fix in findings[2]["fixes"]]


def test_a_diverging_run_groups_what_follows_from_the_learning_rate(tmp_path):
    findings = cards("sgd_lr_causes")
    codes = [f["code"] for f in findings]
    found = groups(findings, tmp_path)
    assert [codes[g["cause"]] for g in found] == ["GM302", "GM307"]
    assert sorted(codes[i] for i in found[1]["followed"]) == ["GM301", "GM304"]
    assert found[0]["followed"] == []


def test_causes_by_severity_chains_to_the_root_and_broken_links_are_causes(tmp_path):
    def finding(severity, caused_by=None):
        return {"severity": severity, "caused_by": caused_by}

    findings = [
        finding("info"),            # 0: a cause
        finding("warning", 0),      # 1: follows 0
        finding("error"),           # 2: a cause, shown first
        finding("error", 1),        # 3: follows 1, so 0
        finding("warning", 9),      # 4: an index out of range: a cause
        finding("warning"),         # 5: a cause
        finding("error", 7),        # 6, 7: a loop: both shown, as causes of nothing
        finding("error", 6),
        finding("info", 6),         # 8: follows a finding on a loop: shown as a cause too
    ]
    found = groups(findings, tmp_path)
    assert found == [
        {"cause": 2, "followed": []},
        {"cause": 6, "followed": []},
        {"cause": 7, "followed": []},
        {"cause": 4, "followed": []},
        {"cause": 5, "followed": []},
        {"cause": 0, "followed": [1, 3]},
        {"cause": 8, "followed": []},
    ]
