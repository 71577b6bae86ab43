"""The panel and the record, in process: graph payload, fix cards, escaping, MIME bundle."""

import json
import re
from pathlib import Path

from helpers import check_program, check_source, only
from helpers import program as program_path

from gradmagic.report.flow_graph import LOSS_NODE
from gradmagic.views.common import SCALE, STATE_STYLES
from gradmagic.views.record import MIME_TYPE, collapsed_view, record_bundle, static_html
from gradmagic.views.widget import (
    BUNDLE,
    NO_CELL_ID,
    CellText,
    DiagnosisPanel,
    panel_esm,
)

LABEXTENSION = Path(__file__).parents[2] / "labextension" / "src"
PANEL_SOURCES = LABEXTENSION / "panel"
DOM_TS = LABEXTENSION / "dom.ts"

EVIL = "<img src=x onerror=alert(1)>"


def _node(payload, name):
    return next(n for n in payload["nodes"] if n["id"] == name)


def test_graph_payload_shows_the_argmax_cut_on_the_loss_edge():
    report = check_program("broken/gm003_argmax_loss").report
    panel = DiagnosisPanel(report, CellText(cell_id=None, text=report.source))
    graph = panel.graph
    assert [n["id"] for n in graph["nodes"]] == ["input_layer", "dense", "dense_1", LOSS_NODE]
    assert [(e["source"], e["target"]) for e in graph["edges"]] == [
        ("input_layer", "dense"), ("dense", "dense_1"), ("dense_1", LOSS_NODE)]
    for name in ("dense", "dense_1"):
        node = _node(graph, name)
        assert node["state"] == "none"
        assert node["line"] == {"dense": 17, "dense_1": 18}[name]
        assert node["style"]["stroke"] == STATE_STYLES["none"]["stroke"]
        assert node["style"]["dash"] == STATE_STYLES["none"]["dash"]
    assert _node(graph, "input_layer")["state"] == "passive"
    cut_edges = [e for e in graph["edges"] if e.get("cut")]
    assert cut_edges == [{"source": "dense_1", "target": LOSS_NODE,
                          "cut": {"op": "ArgMax", "line": 11, "reason": "integer-output"}}]
    assert graph["cuts"][0]["op_name"] == "compile_loss/accuracy_loss/ArgMax"
    assert {s["state"] for s in graph["legend"]["states"]} == {"none", "passive", "loss"}
    assert graph["legend"]["scale"] is None


def test_graph_payload_colours_measured_norms_on_a_log_scale():
    report = check_program("healthy/multi_output").report
    panel = DiagnosisPanel(report)
    graph = panel.graph
    layers = {n["id"]: n for n in graph["nodes"] if n["id"] != LOSS_NODE}
    assert {name: n["state"] for name, n in layers.items()} == {
        "features": "passive", "hidden": "ok", "label": "ok", "score": "ok"}
    norms = {name: n["norm"] for name, n in layers.items() if n["state"] == "ok"}
    assert all(v > 0 for v in norms.values())
    # a healthy fit runs no probe: the norms and largest entries come from the recorder's first step
    assert all(0 < layers[name]["max"] <= layers[name]["norm"] for name in norms)
    low, high = min(norms, key=norms.get), max(norms, key=norms.get)
    assert graph["range"] == {"min": norms[low], "max": norms[high]}
    assert layers[low]["style"]["fill"] == SCALE[0]
    assert layers[high]["style"]["fill"] == SCALE[-1]
    assert graph["legend"]["scale"]["stops"] == SCALE
    # both heads feed the loss; no cut anywhere
    assert sorted(e["source"] for e in graph["edges"] if e["target"] == LOSS_NODE) == ["label", "score"]
    assert not any(e.get("cut") for e in graph["edges"])


def test_nested_model_opens_up_and_repeated_blocks_group():
    source = """
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32"); y = np.random.rand(64, 1).astype("float32")
inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(4, name="b")],
                         name="inner")
inp = keras.Input((4,), name="x")
h = keras.layers.Dense(4, name="pre")(inp)
h = inner(h)
for stage in (1, 2):
    for block in (1, 2):
        h = keras.layers.Dense(4, name=f"conv{stage}_block{block}_dense")(h)
        h = keras.layers.ReLU(name=f"conv{stage}_block{block}_relu")(h)
frozen = keras.layers.Dense(4, name="frozen")
frozen.trainable = False
h = frozen(h)
out = keras.layers.Dense(1, name="head")(h)
model = keras.Model(inp, out)
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
"""
    report = check_source(source, "/tmp/gm_nested.py", train=False).report
    graph = report.graph
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert {("pre", "input_layer"), ("input_layer", "a"), ("a", "b"), ("b", "conv1_block1_dense")} <= edges
    assert _node(graph, "a")["group"] == "inner"
    assert _node(graph, "frozen")["state"] == "frozen"
    assert _node(graph, "conv1_block1_relu")["state"] == "passive"
    groups = {g["id"]: (g["kind"], g["parent"], g["size"]) for g in graph["groups"]}
    assert groups["inner"] == ("model", None, 3)
    assert groups["conv1"] == ("stage", None, 4)
    assert groups["conv1_block2"] == ("block", "conv1", 2)
    assert _node(graph, "conv2_block1_dense")["group"] == "conv2_block1"
    items, static_edges = collapsed_view(graph, limit=8)
    assert {i["id"] for i in items} >= {"conv1", "conv2", "inner"}
    assert ("conv1", "conv2") in {(e["source"], e["target"]) for e in static_edges}


def test_fix_cards_carry_the_diff_and_need_a_cell_id():
    report = check_program("broken/gm003_argmax_loss").report
    finding = only(report, "GM003")
    panel = DiagnosisPanel(report, CellText(cell_id=None, text=report.source))
    card = next(c for c in panel.findings if c["code"] == "GM003")
    assert card["line"] == 11 and card["severity"] == "error"
    assert [row["n"] for row in card["frame"] if row["hit"]] == [11]
    assert "tf.argmax" in next(row["text"] for row in card["frame"] if row["hit"])
    assert card["doc"].startswith("GM003 non-differentiable-op")
    fix = card["fixes"][0]
    assert fix["id"] == finding.fixes[0].id and fix["safety"] == "review"
    assert "-model.compile(optimizer=\"adam\", loss=accuracy_loss)" in fix["diff"].splitlines()
    assert "+model.compile(optimizer=\"adam\", loss=\"sparse_categorical_crossentropy\")" in fix["diff"].splitlines()
    assert fix["apply_disabled"] == NO_CELL_ID
    assert fix["cell_id"] is None
    assert fix["new_source"] == finding.fixes[0].patched_source


def test_fix_card_maps_the_checked_source_back_to_the_whole_cell():
    program = program_path("broken/gm003_argmax_loss").read_text()
    cell_text = "%%gradcheck --quiet\n" + program.rstrip("\n")
    report = check_source("\n" + program, "/tmp/gm_cell.py").report
    assert only(report, "GM003").line == 12
    cell = CellText(cell_id="abc", text=cell_text, header="%%gradcheck --quiet\n", placeholders=1)
    panel = DiagnosisPanel(report, cell)
    card = next(c for c in panel.findings if c["code"] == "GM003")
    fix = card["fixes"][0]
    assert fix["apply_disabled"] is None
    assert fix["expected_source"] == cell_text
    assert fix["new_source"] == cell_text.replace("loss=accuracy_loss", 'loss="sparse_categorical_crossentropy"')
    assert [row["text"] for row in card["frame"] if row["hit"]] == [program.splitlines()[10]]
    edited = CellText(cell_id="abc", text=cell_text + "\n# edited", header="%%gradcheck --quiet\n", placeholders=1)
    assert DiagnosisPanel(report, edited).findings[0]["fixes"][0]["apply_disabled"] is not None


def _evil_report():
    source = f"""
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32"); y = np.random.randint(0, 3, size=(64,))
inp = keras.Input((4,))
out = keras.layers.Dense(3, activation="softmax", name={EVIL!r})(inp)
model = keras.Model(inp, out, name="m&<u>")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
"""
    return check_source(source, "/tmp/gm_evil.py").report


def test_user_strings_are_escaped_in_the_static_rendering():
    report = _evil_report()
    assert EVIL in {n["id"] for n in report.graph["nodes"]}
    html = static_html(report)
    assert "<img" not in html
    assert "onerror=alert(1)&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<u>" not in html and "m&amp;&lt;u&gt;" in html
    tags = set(re.findall(r"<\s*([a-zA-Z]+)", html))
    assert tags <= {"style", "div", "span", "b", "pre", "details", "summary", "svg", "line", "text", "g",
                    "title", "rect"}, tags


def test_widget_payload_keeps_names_as_text_and_the_esm_never_parses_html():
    report = _evil_report()
    panel = DiagnosisPanel(report)
    assert EVIL in {n["id"] for n in panel.graph["nodes"]}
    sources = sorted(PANEL_SOURCES.rglob("*.ts")) + [PANEL_SOURCES / "vendor" / "dagre.esm.js", DOM_TS, BUNDLE]
    for path in sources:
        code = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser",
                     "createContextualFragment", "eval(", "new Function"):
            assert sink not in code, (path.name, sink)
    dom = DOM_TS.read_text()
    assert "document.createTextNode" in dom and "createElementNS" in dom
    assert panel._esm == panel_esm() == BUNDLE.read_text()
    assert "export{" in panel._esm.replace(" ", "") and "import " not in panel._esm  # one self-contained module


def test_record_bundle_is_strict_json_with_the_report():
    report = check_program("broken/gm003_argmax_loss").report
    report.cell_id = "abc"
    report.graph["nodes"][1]["norm"] = float("nan")
    bundle = record_bundle(report)
    assert set(bundle) == {MIME_TYPE, "text/plain", "text/html"}
    data = json.loads(json.dumps(bundle[MIME_TYPE], allow_nan=False))
    assert data["cell_id"] == "abc"
    assert [(f["code"], f["line"]) for f in data["findings"]] == [("GM003", 11), ("GM001", 11)]
    assert data["graph"]["nodes"][1]["norm"] == "NaN"
    assert data["fits"][0]["status"] == "failed"
    assert "error[GM003]" in bundle["text/plain"]
    assert "✂ ArgMax · line 11" in bundle["text/html"]
    assert bundle["text/html"].count("<svg") == 1
