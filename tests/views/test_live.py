"""The training view: live points while ``fit`` runs, then the recorder's history from the report."""

import pytest
from helpers import check_program

from gradmagic import check
from gradmagic.magics import _LiveView, present
from gradmagic.views.widget import CellText, DiagnosisPanel, training_payload


@pytest.fixture(scope="module")
def healthy():
    return check_program("healthy/mlp").report


def test_live_panel_appears_with_the_first_point_and_ends_with_the_report(healthy, capsys):
    session = check("x = 1\n", "/tmp/gm_live.py")
    live = _LiveView(session, CellText(cell_id="abc", text="x = 1\n"), enabled=True)
    live("fit_end", None)
    assert live.panel is None  # nothing to show before the first recorded steps
    live("epoch", {"fit": 0, "epoch": 0, "step": 4, "loss": 0.9, "grad_norm": 0.5})
    panel = live.panel
    assert panel is not None and panel.header["running"] is True
    assert panel.training["loss"] == {"steps": [4], "values": [0.9]}
    live("progress", {"fit": 0, "epoch": 1, "step": 6, "loss": "NaN", "grad_norm": 0.4})  # throttled
    assert panel.training["loss"] == {"steps": [4], "values": [0.9]}
    live("epoch", {"fit": 0, "epoch": 1, "step": 8, "loss": 0.7, "grad_norm": 0.3})
    assert panel.training["loss"] == {"steps": [4, 6, 8], "values": [0.9, None, 0.7]}
    assert panel.training["total"] == {"steps": [4, 6, 8], "values": [0.5, 0.4, 0.3]}
    live("epoch", {"fit": 1, "epoch": 0, "step": 2, "loss": 0.2, "grad_norm": 0.1})  # a second fit starts over
    assert panel.training["loss"] == {"steps": [2], "values": [0.2]}

    present(healthy, live.cell, panel=panel)
    assert panel.header["running"] is False
    assert panel.training["loss"]["steps"][-1] == 8  # 2 epochs of 4 batches, from the recorder's history
    printed = capsys.readouterr().out
    assert printed.count("DiagnosisPanel") == 1  # displayed once, when it appeared


def test_training_view_reads_the_recorders_history(healthy):
    assert healthy.history and healthy.history["fits"], "the recorder kept no history"
    payload = DiagnosisPanel(healthy).training
    loss = payload["loss"]
    assert loss["steps"] == sorted(loss["steps"]) and loss["steps"][-1] == 8
    assert all(isinstance(v, float) and v > 0 for v in loss["values"])
    assert list(payload["layers"]) == ["dense", "dense_1"]
    for line in payload["layers"].values():
        assert len(line["steps"]) == len(line["values"]) > 0
        assert all(v is None or v > 0 for v in line["values"])
    assert payload["epoch_ends"] == [4, 8]


def test_training_payload_marks_findings_by_step_and_survives_missing_history():
    finished = check_program("broken/gm003_argmax_loss").report
    finished.findings[0].step = 2
    payload = training_payload(None, finished.findings)
    assert payload == {"loss": None, "total": None, "layers": {}, "epoch_ends": [],
                       "markers": [{"step": 2, "code": "GM003", "severity": "error"}]}
    assert training_payload({"fits": []})["loss"] is None
