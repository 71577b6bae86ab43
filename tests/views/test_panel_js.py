"""The panel's JavaScript under Node: grouping, the vendored dagre layout, diff rows, Apply availability.

No browser: Node imports the panel's bundle ``gradmagic/views/static/panel.bundle.mjs`` (built from
``labextension/src/panel`` with the vendored dagre inside) and runs its exported pure functions on
a payload made by Python.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import check_source

from gradmagic.views.widget import BUNDLE, NO_CELL_ID, CellText, DiagnosisPanel

HARNESS = Path(__file__).with_name("panel_harness.mjs")
NODE = shutil.which("node")

SOURCE = """
import numpy as np, keras, tensorflow as tf
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32"); y = np.random.rand(64, 1).astype("float32")
inp = keras.Input((4,), name="x")
h = keras.layers.Dense(4, name="stem")(inp)
for stage in (1, 2, 3):
    for block in range(1, 6):
        h = keras.layers.Dense(4, name=f"conv{stage}_block{block}_dense")(h)
        if (stage, block) == (2, 3):
            h = keras.layers.Lambda(lambda t: tf.round(t), name="conv2_block3_round")(h)
        h = keras.layers.ReLU(name=f"conv{stage}_block{block}_relu")(h)
out = keras.layers.Dense(1, name="head")(h)
model = keras.Model(inp, out)
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
"""


@pytest.fixture(scope="module")
def js_result(tmp_path_factory):
    if NODE is None:
        pytest.skip("node is not installed")
    report = check_source(SOURCE, "/tmp/gm_blocks.py", train=False).report
    fixes = [fix for finding in report.findings for fix in finding.fixes]
    assert fixes, report.codes()
    without_id = DiagnosisPanel(report, CellText(cell_id=None, text=report.source))
    with_id = DiagnosisPanel(report, CellText(cell_id="abc", text=report.source))
    cards = [f for card in without_id.findings for f in card["fixes"]][:1] + \
            [f for card in with_id.findings for f in card["fixes"]][:1]
    payload = {"graph": without_id.graph, "limit": 20, "diff": cards[0]["diff"], "fixes": cards}
    path = tmp_path_factory.mktemp("panel") / "payload.json"
    path.write_text(json.dumps(payload))
    done = subprocess.run([NODE, str(HARNESS), str(BUNDLE), str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return report, json.loads(done.stdout)


def test_repeated_blocks_collapse_and_the_cut_stays_visible(js_result):
    report, result = js_result
    gm003 = [f for f in report.findings if f.code == "GM003"]
    assert [(f.layer, f.line) for f in gm003] == [("conv2_block3_round", 11)]
    view = result["default_view"]
    assert len(view["collapsed"]) == 15 and "conv2_block3" in view["collapsed"]
    assert {n["key"] for n in view["nodes"]} == {
        "L:x", "L:stem", "L:head", "L:__loss__", *(f"G:conv{s}_block{b}" for s in (1, 2, 3) for b in range(1, 6))}
    assert view["clusters"] == ["conv1", "conv2", "conv3"]
    assert next(n for n in view["nodes"] if n["key"] == "G:conv2_block3")["cut"] == {
        "op": "Round", "line": 11, "reason": "no-gradient"}
    assert {"source": "G:conv1_block5", "target": "G:conv2_block1", "cut": None} in view["edges"]
    assert view["positioned"] and view["nested"] and view["edge_points"]


def test_tight_view_collapses_stages_and_full_view_shows_the_cut_edge(js_result):
    _, result = js_result
    tight = result["tight_view"]
    assert {n["key"] for n in tight["nodes"]} == {"L:x", "L:stem", "L:head", "L:__loss__", "G:conv1", "G:conv2", "G:conv3"}
    assert tight["clusters"] == []
    assert next(n for n in tight["nodes"] if n["key"] == "G:conv2")["cut"]["op"] == "Round"
    full = result["full_view"]
    assert len(full["nodes"]) == 35
    cut_edges = [e for e in full["edges"] if e["cut"]]
    assert cut_edges == [{"source": "L:conv2_block3_dense", "target": "L:conv2_block3_round",
                          "cut": {"op": "Round", "line": 11, "reason": "no-gradient"}}]
    assert full["positioned"] and full["nested"] and full["size"][1] > result["default_view"]["size"][1]


def test_diff_rows_and_apply_availability(js_result):
    _, result = js_result
    kinds = [row["kind"] for row in result["diff_rows"]]
    assert kinds[:3] == ["file", "file", "hunk"] and "add" in kinds and "del" in kinds
    (no_id_ready, no_id_bare), (id_ready, id_bare) = result["availability"]
    assert no_id_ready == no_id_bare == NO_CELL_ID
    assert id_ready is None
    assert id_bare == result["no_extension"]
