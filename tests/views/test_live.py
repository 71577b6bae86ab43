"""The training view: live points while ``fit`` runs, then the recorder's history from the report."""

import itertools
import json
import shutil
import subprocess

import keras
import numpy as np
import pytest
from helpers import check_program

from gradmagic import check, magics
from gradmagic.magics import LIVE_POINTS, _LiveView, present
from gradmagic.views.widget import BUNDLE, CellText, DiagnosisPanel, training_payload

NODE = shutil.which("node")


@pytest.fixture(scope="module")
def healthy():
    return check_program("healthy/mlp").report


def test_live_panel_appears_with_the_first_point_and_ends_with_the_report(healthy, capsys, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(magics.time, "monotonic", lambda: clock[0])
    sent = []
    monkeypatch.setattr(DiagnosisPanel, "send", lambda self, content, buffers=None: sent.append(content))
    session = check("x = 1\n", "/tmp/gm_live.py")
    live = _LiveView(session, CellText(cell_id="abc", text="x = 1\n"), enabled=True)
    live("fit_end", None)
    assert live.panel is None  # nothing to show before the first recorded steps
    live("epoch", {"fit": 0, "epoch": 0, "step": 4, "loss": 0.9, "grad_norm": 0.5})
    panel = live.panel
    assert panel is not None and panel.header["running"] is True
    assert sent == [{"kind": "training_points", "fit": 0, "start": 0, "steps": [4], "loss": [0.9],
                     "grad_norm": [0.5], "nonfinite": {"loss": [], "grad_norm": []}, "markers": []}]
    clock[0] += 0.1
    live("progress", {"fit": 0, "epoch": 1, "step": 6, "loss": "NaN", "grad_norm": 0.4})  # throttled
    live("epoch", {"fit": 0, "epoch": 1, "step": 8, "loss": 0.7, "grad_norm": 0.3})  # throttled too
    assert len(sent) == 1
    clock[0] += 1
    live("epoch", {"fit": 0, "epoch": 2, "step": 10, "loss": 0.6, "grad_norm": 0.2})
    assert sent[-1] == {"kind": "training_points", "fit": 0, "start": 1, "steps": [6, 8, 10],
                        "loss": [None, 0.7, 0.6], "grad_norm": [0.4, 0.3, 0.2],
                        "nonfinite": {"loss": [6], "grad_norm": []}, "markers": []}  # only the new points
    assert panel.training["loss"] is None  # the live points travel as messages, not as the state
    clock[0] += 1
    live("epoch", {"fit": 1, "epoch": 0, "step": 2, "loss": 0.2, "grad_norm": 0.1})  # a second fit starts over
    assert sent[-1]["fit"] == 1 and sent[-1]["start"] == 0 and sent[-1]["steps"] == [2]

    present(healthy, live.cell, panel=panel)
    assert panel.header["running"] is False
    assert panel.training["loss"]["steps"][-1] == 8  # 2 epochs of 4 batches, from the recorder's history
    printed = capsys.readouterr().out
    assert printed.count("DiagnosisPanel") == 1  # displayed once, when it appeared


def test_live_points_stay_bounded_evenly_spaced_and_end_at_the_last_step():
    live = _LiveView(check("x = 1\n", "/tmp/gm_live.py"), CellText(cell_id=None), enabled=False)
    for step in range(1, 5001):
        live._add({"fit": 0, "step": step, "loss": 1.0 / step, "grad_norm": 1.0})
    steps = live.points["steps"]
    assert len(steps) <= LIVE_POINTS + 1 and steps[-1] == 5000 and steps[0] == 1
    gaps = {b - a for a, b in itertools.pairwise(steps[:-1])}
    assert len(gaps) == 1  # evenly spaced, then the newest point


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
    assert payload == {"loss": None, "total": None, "layers": {}, "epoch_ends": [], "epochs": None,
                       "markers": [{"step": 2, "code": "GM003", "severity": "error"}]}
    assert training_payload({"fits": []})["loss"] is None


REPLAY = """
import { readFileSync } from "fs";
import { pathToFileURL } from "url";
const { applyLivePoints, liveTraining } = await import(pathToFileURL(process.argv[2]).href);
let live = null;
for (const msg of JSON.parse(readFileSync(process.argv[3], "utf8"))) live = applyLivePoints(live, msg);
console.log(JSON.stringify(liveTraining(live)));
"""


def test_live_points_mark_the_steps_whose_loss_went_nan_while_the_fit_runs(monkeypatch, tmp_path):
    """SGD at 0.5 overflows at step 10 (tests/programs/broken/gm301_lr_diverges.py): the epoch points at
    steps 12 and 16 arrive with the loss NaN/Inf, are sent as None and marked as non-finite, and the
    frontend's live chart holds those marks before the fit ends."""
    monkeypatch.setattr(magics, "LIVE_INTERVAL_S", 0)
    monkeypatch.setattr(magics, "display", lambda *args, **kwargs: None)
    sent = []
    monkeypatch.setattr(DiagnosisPanel, "send", lambda self, content, buffers=None: sent.append(content))
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    x = np.random.normal(size=(64, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [3.0], [0.5]], dtype="float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    session = check(options={"record_live_seconds": 0})  # one point per epoch
    live = _LiveView(session, CellText(cell_id="nan"), enabled=True)
    session.listeners.append(live)
    with session as report:
        model.fit(x, y, epochs=4, batch_size=16, verbose=0)

    first_bad = report.history["fits"][0]["nonfinite"]["loss"]["step"]
    points = [msg for msg in sent if msg["kind"] == "training_points"]
    steps = [step for msg in points for step in msg["steps"]]
    assert steps == [4, 8, 12, 16] and first_bad == 10
    marked = [step for msg in points for step in msg["nonfinite"]["loss"]]
    assert marked == [12, 16]  # every point after the overflow, none before it
    losses = [value for msg in points for value in msg["loss"]]
    assert all(isinstance(value, float) for value in losses[:2]) and losses[2:] == [None, None]
    assert [step for msg in points for step in msg["nonfinite"]["grad_norm"]] == [12, 16]

    if NODE is None:
        pytest.skip("node is not installed")
    (tmp_path / "messages.json").write_text(json.dumps(points))
    (tmp_path / "replay.mjs").write_text(REPLAY)
    done = subprocess.run([NODE, str(tmp_path / "replay.mjs"), str(BUNDLE), str(tmp_path / "messages.json")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)["loss"]
    assert shown["steps"] == [4, 8, 12, 16] and shown["nonfinite"] == [12, 16]
    assert shown["first_nonfinite"] == 12 and shown["values"][2:] == [None, None]
