"""The panel's items of issue 13 (point 5 and the panel parts of point 3), on the widget's state and
on what the panel's bundle draws from it under Node (``panel_dom_harness.mjs``, a stand-in DOM).

- "learn more" comes from the report's ``docs`` and is rendered from Markdown (headings, code,
  lists), never shown as raw ``##``; user strings stay text;
- no empty evidence rows;
- the Training tab shows validation loss and the compiled metrics beside the loss;
- while a cell runs the header says "running", never "no fit call ran";
- after a NaN: non-finite steps are marked, the finite part readable (log scale or clipping,
  with a note), marker labels never overlap, the graph marks the layers GM301 lists.

The records under ``fixtures/`` are real reports (``fixtures/make_fixtures.py``); the tests that
run a program are marked slow.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradmagic.report.model import Finding, Report
from gradmagic.views.widget import (
    BUNDLE,
    CellText,
    DiagnosisPanel,
    evidence_rows,
    training_payload,
)

HERE = Path(__file__).parent
HARNESS = HERE / "panel_dom_harness.mjs"
FIXTURES = HERE / "fixtures"
NODE = shutil.which("node")
EVIL = "<img src=x onerror=alert(1)>"


def fixture(name: str) -> Report:
    return Report.from_dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def run_js(calls: list[dict], tmp_path: Path) -> list:
    if NODE is None:
        pytest.skip("node is not installed")
    assert BUNDLE.exists(), "the panel is not built: run `jlpm build:panel`"
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(calls))
    done = subprocess.run([NODE, str(HARNESS), str(BUNDLE), str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def nodes(tree, tag: str | None = None, cls: str | None = None) -> list[dict]:
    """Every element of a serialised tree with this tag and/or class."""
    found = []
    if isinstance(tree, dict):
        classes = tree["attrs"].get("class", "").split()
        if (tag is None or tree["tag"] == tag) and (cls is None or cls in classes):
            found.append(tree)
        for child in tree["children"]:
            found += nodes(child, tag, cls)
    return found


def text(tree) -> str:
    return tree if isinstance(tree, str) else "".join(text(child) for child in tree["children"])


# -- learn more ---------------------------------------------------------------------------


def test_learn_more_comes_from_the_report_not_from_the_rules():
    report = fixture("argmax_loss")
    assert set(report.docs) == {"GM003", "GM001"}
    assert report.docs["GM003"].startswith("GM003 non-differentiable-op") and "## What it does" in report.docs["GM003"]
    report.docs["GM003"] = "## from the report\n"
    panel = DiagnosisPanel(report)
    assert next(c for c in panel.findings if c["code"] == "GM003")["doc"] == "## from the report\n"
    # the widget never reads the rule registry (which would import TensorFlow)
    code = ("import sys, gradmagic.views.widget; "
            "print(sorted(m for m in sys.modules if m.startswith(('gradmagic.rules', 'tensorflow'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_learn_more_renders_headings_code_and_lists_and_keeps_html_as_text(tmp_path):
    report = fixture("argmax_loss")
    card = next(c for c in DiagnosisPanel(report).findings if c["code"] == "GM003")
    hostile = card | {"doc": f"## Title {EVIL}\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                             "[ok](https://keras.io)\n\n1. one\n2. two\n"}
    opened, evil = run_js([{"fn": "openedCard", "args": [card]}, {"fn": "openedCard", "args": [hostile]}], tmp_path)
    (doc,) = nodes(opened, "div", "gm-markdown")
    headings = [text(h) for h in nodes(doc, "h5")]
    assert headings[:4] == ["What it does", "Why is this bad?", "Example", "Use instead"]
    assert "##" not in text(doc)
    (code,) = nodes(doc, "pre", "gm-md-code")
    assert "def accuracy_loss(y_true, y_pred):" in text(code)
    assert any("argmax" in text(c) for c in nodes(doc, "code") if c not in nodes(code, "code"))
    # Markdown from anywhere else: headings render, HTML and script stay text, no javascript: link
    (evil_doc,) = nodes(evil, "div", "gm-markdown")
    assert [text(h) for h in nodes(evil_doc, "h5")] == [f"Title {EVIL}"]
    assert {n["tag"] for n in nodes(evil_doc)} <= {"div", "h5", "p", "pre", "a", "span", "ol", "li", "code"}
    assert "<script>alert(1)</script>" in text(evil_doc)
    assert [a["attrs"]["href"] for a in nodes(evil_doc, "a")] == ["https://keras.io"]
    assert [text(li) for li in nodes(evil_doc, "li")] == ["one", "two"]


# -- evidence rows ------------------------------------------------------------------------


def test_no_empty_evidence_rows(tmp_path):
    report = fixture("nan_diverging")
    gm301 = report.by_code("GM301")[0]
    assert gm301.evidence["op"] is None and gm301.evidence["stage"] is None  # measured as missing
    card = next(c for c in DiagnosisPanel(report).findings if c["code"] == "GM301")
    assert "op" not in card["evidence"] and "stage" not in card["evidence"]
    assert card["evidence"]["layers"] == ["dense", "dense_1"] and card["evidence"]["value"] == "Inf"
    assert evidence_rows({"a": None, "b": "", "c": [], "d": {}, "e": [None, {"x": None, "y": 1}], "f": 0}) == {
        "e": [{"y": 1}], "f": 0}
    # a record from an older gradmagic still draws no empty row
    older = card | {"evidence": {"op": None, "stage": "", "layers": [], "first_step": 10, "fits": [0]}}
    drawn, rows = run_js([{"fn": "openedCard", "args": [older]},
                          {"fn": "evidenceRows", "args": [{"op": None, "nested": {"a": None}, "n": 3}]}], tmp_path)
    cells = [[text(td) for td in nodes(tr, "td")] for tr in nodes(drawn, "tr")]
    assert cells == [["first_step", "10"], ["fits", "#1"]]
    assert rows == [["n", "3"]]


# -- training: validation loss and metrics --------------------------------------------------


def test_training_tab_shows_validation_loss_and_compiled_metrics(tmp_path):
    report = fixture("healthy_metrics")
    training = DiagnosisPanel(report).training
    epochs = training["epochs"]
    assert list(epochs["series"]) == ["accuracy", "auc", "loss", "val_accuracy", "val_auc", "val_loss"]
    assert epochs["steps"] == training["epoch_ends"] == [5, 10, 15, 20, 25, 30]
    assert all(len(line["values"]) == 6 and None not in line["values"] for line in epochs["series"].values())
    (view,) = run_js([{"fn": "trainingView", "args": [training, False, ["#440154", "#fde725"]]}], tmp_path)
    titles = [text(t) for t in nodes(view, "div", "gm-chart-title")]
    assert titles == ["loss", "accuracy (per epoch)", "auc (per epoch)", "gradient norm per layer (log scale)"]
    charts = nodes(view, "svg", "gm-line-chart")
    names = [[p["attrs"]["data-name"] for p in nodes(chart, "path", "gm-series")] for chart in charts]
    assert names[:3] == [["loss (per step)", "val_loss (per epoch)"], ["accuracy", "val_accuracy"], ["auc", "val_auc"]]
    assert len(nodes(charts[0], "circle")) == 6  # one dot per epoch of val_loss


@pytest.mark.slow
def test_a_real_fit_with_validation_keeps_keras_epoch_logs():
    from helpers import check_source

    source = """
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(40, 3).astype("float32"); y = x.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=3, batch_size=10, validation_data=(x[:10], y[:10]), verbose=0)
"""
    run = check_source(source, "/tmp/gm_epoch_logs.py")
    keras_history = run.namespace["history"].history
    epochs = DiagnosisPanel(run.report).training["epochs"]
    assert list(epochs["series"]) == list(keras_history)  # loss, mae, val_loss, val_mae
    for name, values in keras_history.items():
        assert epochs["series"][name]["values"] == pytest.approx(values)


# -- header while running -----------------------------------------------------------------


def test_header_says_running_until_the_first_fit_and_never_no_fit_call_ran(tmp_path):
    panel = DiagnosisPanel(cell=CellText(cell_id="abc"))
    panel.show(Report(source="x = 1\n"), running=True)
    assert panel.header["running"] is True and panel.header["fits"] == []
    finished = fixture("healthy_metrics")
    fit = finished.to_dict()["fits"][0]
    before, training, between, after, empty = run_js([
        {"fn": "headerItems", "args": [panel.header, None]},
        {"fn": "headerItems", "args": [panel.header, 0]},
        {"fn": "headerItems", "args": [panel.header | {"fits": [fit]}, 1]},
        {"fn": "headerItems", "args": [panel.header | {"fits": [fit], "running": False}, None]},
        {"fn": "headerItems", "args": [panel.header | {"running": False}, None]},
    ], tmp_path)
    words = [[item["text"] for item in items] for items in (before, training, between, after, empty)]
    assert words[0][:2] == ["running…", "waiting for the first fit"]
    assert words[1][:2] == ["running…", "fit #1: training"]
    assert words[2][:3] == ["running…", "fit #1 · line 14: completed", "fit #2: training"]
    assert "running…" not in words[3] and words[3][0] == "fit #1 · line 14: completed"
    assert all("no fit call ran" not in w for w in words[:4])
    assert "no fit call ran" in words[4]  # only once the cell ended without a fit


# -- charts and graph after a NaN ---------------------------------------------------------


def test_nonfinite_steps_are_marked_and_the_finite_part_stays_readable(tmp_path):
    report = fixture("nan_diverging")
    training = DiagnosisPanel(report).training
    loss = training["loss"]
    assert loss["first_nonfinite"] == 10 and loss["nonfinite"] == list(range(10, 17))
    assert loss["values"][:9] == [pytest.approx(v, rel=1e-3) for v in (9.3521, 3.2304, 9.1941, 10.845, 25.024, 47.519,
                                                                      1305.5, 1.5945e8, 2.6262e23)]
    assert loss["values"][9:] == [None] * 7
    assert training["epochs"]["series"]["loss"]["nonfinite"] == [12, 16]  # Keras printed nan for epochs 3 and 4
    clip_values = [1.0, 1.1, 0.9, 1.2, 1.0, 0.8, 1.1, 0.95, 1.05, -0.2, 1e9]
    view, spans, log_scale, clipped, linear = run_js([
        {"fn": "trainingView", "args": [training, False, ["#440154", "#fde725"]]},
        {"fn": "nonfiniteSpans", "args": [loss]},
        {"fn": "chooseScale", "args": [[v for v in loss["values"] if v is not None], "auto", "the loss"]},
        {"fn": "chooseScale", "args": [clip_values, "auto", "the loss"]},
        {"fn": "chooseScale", "args": [[0.5, 0.4, 0.3], "auto", "the loss"]},
    ], tmp_path)
    assert spans == [[10, 16]]
    assert log_scale["kind"] == "log" and log_scale["note"] == "log scale: the loss spans 3.23 … 2.63e+23"
    assert clipped["kind"] == "clipped" and clipped["hi"] < 2 and "1 value(s) above" in clipped["note"]
    assert linear == {"kind": "linear", "lo": 0.3, "hi": 0.5, "note": None}
    loss_chart = nodes(view, "div", "gm-chart")[0]
    assert nodes(loss_chart, "svg")[0]["attrs"]["data-scale"] == "log"
    notes = [text(n) for n in nodes(loss_chart, "div", "gm-chart-note")]
    assert notes[0] == "log scale: the loss spans 3.23 … 2.63e+23"
    assert "the loss was NaN/Inf from step 10 (7 step(s) marked, not drawn)" in notes[1]
    marks = nodes(loss_chart, "g", "gm-nonfinite")
    assert text(nodes(marks[0], "title")[0]) == "the loss NaN/Inf at steps 10–16"
    # the finite part is drawn, the NaN steps are not
    (path,) = [p for p in nodes(loss_chart, "path", "gm-series") if p["attrs"]["data-name"] == "loss (per step)"]
    assert path["attrs"]["d"].count("L") == 8 and path["attrs"]["d"].startswith("M")


def test_marker_labels_never_overlap(tmp_path):
    crowded = [{"step": s, "code": c, "severity": "error"} for s, c in
               [(3, "GM301"), (3, "GM310"), (3, "GM304"), (4, "GM307"), (5, "GM302"), (319, "GM309"), (318, "GM303"),
                (150, "GM305"), (151, "GM306")]]
    (placed,) = run_js([{"fn": "placeLabels", "args": [crowded, [1, 319], {"left": 58, "right": 628}]}], tmp_path)
    assert [p["text"] for p in placed if p["step"] == 3] == ["GM301 GM310 GM304"]  # one label per step
    assert len(placed) == 7
    for a in placed:
        assert 58 <= a["left"] and a["right"] <= 628
        for b in placed:
            if a is not b and a["row"] == b["row"]:
                assert a["right"] <= b["left"] or b["right"] <= a["left"], (a, b)


def test_graph_marks_the_layers_gm301_lists(tmp_path):
    report = fixture("nan_diverging")
    graph = DiagnosisPanel(report).graph
    marked = {n["id"]: n["nonfinite"] for n in graph["nodes"] if "nonfinite" in n}
    assert marked == {"dense": {"code": "GM301", "step": 10}, "dense_1": {"code": "GM301", "step": 10}}
    assert {n["style"]["fill"] for n in graph["nodes"] if n["id"] in marked} == {"#ff1fa9"}
    assert "NaN / Inf while training" in [s["label"] for s in graph["legend"]["states"]]
    (tip,) = run_js([{"fn": "nonfiniteText", "args": [marked["dense"]]}], tmp_path)
    assert tip == "NaN/Inf while training from step 10 (GM301)"


def test_graph_marks_a_collapsed_group_holding_a_nonfinite_layer():
    report = fixture("nan_diverging")
    report.graph["groups"] = [{"id": "block", "label": "block", "kind": "block", "parent": None, "state": "ok",
                               "norm": 1.0, "max": 1.0, "size": 2}]
    for node in report.graph["nodes"]:
        if node["id"] in ("dense", "dense_1"):
            node["group"] = "block"
    report.findings = [f for f in report.findings if f.code != "GM301"] + [
        Finding("GM310", "weights-corrupted", "warning", "m", evidence={"layers": ["dense_1"], "first_step": 4})]
    graph = DiagnosisPanel(report).graph
    assert [g["nonfinite"] for g in graph["groups"]] == [{"code": "GM310", "step": 4}]
    assert [n["id"] for n in graph["nodes"] if "nonfinite" in n] == ["dense_1"]


def test_training_payload_reads_recorder_nan_strings():
    history = {"series": {"loss": {"mean": [1.0, None, None], "nonfinite": [0, 2, 1]}},
               "bucket_steps": [1, 2, 4], "first_nonfinite": {"loss": 3},
               "epoch_logs": [{"step": 2, "values": {"loss": 1.0}}, {"step": 4, "values": {"loss": "nan"}}]}
    payload = training_payload(history)
    assert payload["loss"] == {"steps": [1, 2, 4], "values": [1.0, None, None], "nonfinite": [2, 4],
                               "first_nonfinite": 3}
    assert payload["epochs"]["series"]["loss"]["values"] == [1.0, None]
    assert payload["epochs"]["series"]["loss"]["nonfinite"] == [4]


def test_the_saved_record_marks_the_same_layers():
    from gradmagic.views.record import static_html

    html = static_html(fixture("nan_diverging"))
    assert html.count("NaN/Inf @ step 10") == 2  # dense and dense_1
    assert "NaN / Inf while training" in html
    assert "= evidence: " in html and "op=None" not in html and "stage=None" not in html
