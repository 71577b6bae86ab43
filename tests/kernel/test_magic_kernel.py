"""``%%gradcheck`` and ``%gradcheck on`` in a real IPython kernel, driven through jupyter_client.

One kernel for the whole module (starting one and importing TensorFlow is slow). Execute
requests carry ``metadata.cellId`` as JupyterLab sends it; iopub outputs are collected.
"""

import json
import re
import sys

import pytest
from helpers import program
from kernel_support import TIMEOUT, WIDGET_MIME, execute, running_kernel

from gradmagic.magics import NO_FIT_NOTE
from gradmagic.views.record import MIME_TYPE

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def kc():
    with running_kernel("%load_ext gradmagic\nimport numpy as np", TF_DETERMINISTIC_OPS="1") as client:
        yield client


def value_of(client, expression):
    reply, outputs = execute(client, expression, cell_id=None)
    assert reply["status"] == "ok", reply
    return next(c["data"]["text/plain"] for kind, c in outputs if kind == "execute_result")


def shown(outputs):
    """The visible outputs, with gradmagic's widget and record marked."""
    found = []
    for kind, content in outputs:
        if kind == "display_data" and WIDGET_MIME in content["data"]:
            found.append(("widget", content["data"][WIDGET_MIME]["model_id"]))
        elif kind == "display_data" and MIME_TYPE in content["data"]:
            found.append(("record", content["data"]))
        elif kind in ("stream", "display_data", "execute_result", "error"):
            found.append((kind, content))
    return found


def widget_state(outputs, model_id):
    opened = next(c for kind, c in outputs if kind == "comm_open" and c["comm_id"] == model_id)
    state = dict(opened["data"]["state"])
    for kind, content in outputs:
        if kind == "comm_msg" and content["comm_id"] == model_id and content["data"].get("method") == "update":
            state.update(content["data"]["state"])
    return state


def timing_free(text):
    return re.sub(r"\d+(\.\d+)?(ms|us|µs|s)(/step)?", "T", text)


def test_kernel_runs_this_environment(kc):
    assert value_of(kc, "import sys; sys.executable") == repr(sys.executable)


def test_failing_cell_shows_panel_and_record_then_ends_with_its_own_error(kc):
    cell = "%%gradcheck\n" + program("broken/gm003_argmax_loss").read_text()
    reply, outputs = execute(kc, cell, cell_id="abc")
    assert reply["status"] == "error"
    assert reply["ename"] == "ValueError"
    assert "No gradients provided for any variable" in reply["evalue"]
    visible = shown(outputs)
    assert [kind for kind, _ in visible] == ["widget", "record", "error"]
    assert visible[2][1]["ename"] == "ValueError"
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(visible[2][1]["traceback"]))
    assert "---> 22 model.fit(x, y, epochs=2, verbose=0)" in traceback  # the cell's own line, as IPython numbers it
    assert "gradmagic/magics.py" not in traceback and "gradmagic/pipeline/" not in traceback and "gradmagic/capture/" not in traceback

    record = visible[1][1][MIME_TYPE]
    assert record["cell_id"] == "abc"
    assert record["source"] == "\n" + program("broken/gm003_argmax_loss").read_text()
    assert [(f["code"], f["line"]) for f in record["findings"]] == [("GM003", 12), ("GM001", 12)]
    gm003 = record["findings"][0]
    assert gm003["evidence"]["op"] == "ArgMax"
    assert record["fits"] == [{"index": 0, "line": 22, "status": "failed", "exception_type": "ValueError",
                               "exception_message": "No gradients provided for any variable.",
                               "model_name": "sequential", "method": "fit", "exception_line": None}]
    assert [e for e in record["graph"]["edges"] if e.get("cut")][0]["cut"]["line"] == 12
    assert "error[GM003]" in visible[1][1]["text/plain"]

    state = widget_state(outputs, visible[0][1])
    assert state["_anywidget_id"] == "gradmagic.views.widget.DiagnosisPanel"
    assert [f["code"] for f in state["findings"]] == ["GM003", "GM001"]
    fix = state["findings"][0]["fixes"][0]
    assert fix["cell_id"] == "abc" and fix["apply_disabled"] is None
    assert fix["expected_source"] == cell
    assert fix["new_source"] == cell.replace("loss=accuracy_loss", 'loss="sparse_categorical_crossentropy"')
    assert [row["n"] for row in state["findings"][0]["frame"] if row["hit"]] == [12]


HEALTHY = program("healthy/mlp").read_text().replace("verbose=0", "verbose=2") + \
    "print(len(history.history['loss']))\nround(float(model.evaluate(x, y, verbose=0)[0]), 6)\n"
SNAPSHOT = ("_w = [w.copy() for w in model.get_weights()]; _h = history.history; "
            "_v = sorted((k, type(v).__name__) for k, v in globals().items() if not k.startswith('_') "
            "and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython', 'np'))")


def test_healthy_cell_keeps_its_outputs_variables_and_weights(kc):
    reply, plain = execute(kc, HEALTHY, cell_id="plain")
    assert reply["status"] == "ok", reply
    assert execute(kc, SNAPSHOT.replace("_w =", "_pw =").replace("_h =", "_ph =").replace("_v =", "_pv ="),
                   cell_id=None)[0]["status"] == "ok"
    reply, checked = execute(kc, "%%gradcheck\n" + HEALTHY, cell_id="checked")
    assert reply["status"] == "ok", reply
    assert execute(kc, SNAPSHOT, cell_id=None)[0]["status"] == "ok"

    ours = [item for item in shown(checked) if item[0] in ("widget", "record")]
    assert [kind for kind, _ in ours] == ["widget", "record"]
    record = ours[1][1][MIME_TYPE]
    assert record["cell_id"] == "checked"
    # the panel appears live, with the first recorded epoch, before Keras prints the second one
    order = [kind if kind != "stream" else c["text"] for kind, c in shown(checked)]
    assert order.index("widget") < next(i for i, item in enumerate(order) if "Epoch 2/2" in str(item))
    state = widget_state(checked, ours[0][1])
    assert state["header"]["running"] is False
    weighted = [n["id"] for n in record["graph"]["nodes"] if n.get("params")]
    assert state["training"]["loss"]["steps"][-1] == 8 and list(state["training"]["layers"]) == weighted
    assert [f["status"] for f in record["fits"]] == ["completed"]
    assert [f["code"] for f in record["findings"] if f["severity"] in ("error", "warning")] == []

    def user_outputs(outputs):
        return [(kind, timing_free(c["text"]) if kind == "stream" else c.get("data"))
                for kind, c in shown(outputs) if kind in ("stream", "execute_result")
                and (kind != "stream" or c["name"] == "stdout")]

    assert user_outputs(checked) == user_outputs(plain)
    assert any("Epoch 2/2" in c["text"] for kind, c in plain if kind == "stream")
    assert value_of(kc, "all(np.array_equal(a, b) for a, b in zip(_pw, _w, strict=True))") == "True"
    assert value_of(kc, "_ph == _h") == "True"
    assert value_of(kc, "_pv == _v") == "True"


def test_gradcheck_on_diagnoses_a_plain_cell_that_raises_no_gradients(kc):
    reply, outputs = execute(kc, "%gradcheck on", cell_id=None)
    assert reply["status"] == "ok"
    cell = program("broken/gm003_argmax_loss").read_text()
    try:
        reply, outputs = execute(kc, cell, cell_id="plain-cell")
    finally:
        execute(kc, "%gradcheck off", cell_id=None)
    assert reply["status"] == "error" and reply["ename"] == "ValueError"
    visible = shown(outputs)
    assert [kind for kind, _ in visible] == ["widget", "record", "error"]
    record = visible[1][1][MIME_TYPE]
    assert record["cell_id"] == "plain-cell"
    assert [(f["code"], f["line"]) for f in record["findings"]] == [("GM003", 11), ("GM001", 11)]
    assert record["fits"][0]["status"] == "failed" and record["fits"][0]["line"] == 21
    state = widget_state(outputs, visible[0][1])
    assert state["findings"][0]["fixes"][0]["expected_source"] == cell
    assert state["findings"][0]["fixes"][0]["apply_disabled"] is None
    assert value_of(kc, "get_ipython().custom_exceptions") == "()"


def test_cell_without_fit_runs_normally_with_one_note(kc, tmp_path):
    out = tmp_path / "report.json"
    reply, outputs = execute(kc, f"%%gradcheck --json {out}\nanswer = 40 + 2\nprint('hi')\nanswer", cell_id="nofit")
    assert reply["status"] == "ok"
    assert shown(outputs) == [
        ("stream", {"name": "stdout", "text": "hi\n"}),
        ("display_data", {"data": {"text/plain": NO_FIT_NOTE}, "metadata": {}, "transient": {}}),
        ("execute_result", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": reply["execution_count"]}),
    ]
    saved = json.loads(out.read_text())
    assert saved["fits"] == [] and saved["cell_id"] == "nofit"
    reply, outputs = execute(kc, "%%gradcheck --quiet\nanswer += 1", cell_id="quiet")
    assert reply["status"] == "ok" and shown(outputs) == []
    assert value_of(kc, "answer") == "43"


def test_the_magics_json_of_a_run_whose_loss_went_nan_is_strict(kc, tmp_path):
    out = tmp_path / "nan.json"
    cell = program("broken/gm301_log_loss").read_text()
    reply, _ = execute(kc, f"%%gradcheck --quiet --json {out}\n" + cell, cell_id="nan-json")
    assert reply["status"] == "ok", reply
    text = out.read_text()
    data = json.loads(text, parse_constant=lambda token: (_ for _ in ()).throw(ValueError(token)))
    assert "GM301" in {f["code"] for f in data["findings"]}
    assert '"NaN"' in text or '"Infinity"' in text


def test_a_broken_gradmagic_still_runs_the_cell(kc):
    setup = "import gradmagic.magics as _gm\n_saved = _gm.check\n_gm.check = lambda *a, **k: 1 / 0"
    assert execute(kc, setup, cell_id=None)[0]["status"] == "ok"
    try:
        reply, outputs = execute(kc, "%%gradcheck\nq = 5\nq", cell_id="broken")
    finally:
        execute(kc, "_gm.check = _saved", cell_id=None)
    assert reply["status"] == "ok"
    visible = shown(outputs)
    assert [kind for kind, _ in visible] == ["stream", "execute_result"]
    assert visible[0][1]["name"] == "stderr"
    assert visible[0][1]["text"].startswith("gradmagic: could not instrument this cell (ZeroDivisionError")
    assert "Traceback" not in visible[0][1]["text"]
    assert visible[1][1]["data"]["text/plain"] == "5"


def test_gradcheck_on_diagnoses_from_the_run_without_running_the_cell_again(kc):
    assert execute(kc, "_side = []", cell_id=None)[0]["status"] == "ok"
    assert execute(kc, "%gradcheck on", cell_id=None)[0]["status"] == "ok"
    cell = 'print("side effect")\n_side.append(1)\n' + program("broken/gm003_argmax_loss").read_text()
    try:
        reply, outputs = execute(kc, cell, cell_id="once")
    finally:
        execute(kc, "%gradcheck off", cell_id=None)
    assert reply["status"] == "error" and reply["ename"] == "ValueError"
    visible = shown(outputs)
    assert [kind for kind, _ in visible] == ["stream", "widget", "record", "error"]
    assert visible[0][1]["text"] == "side effect\n"
    record = visible[2][1][MIME_TYPE]
    assert record["cell_id"] == "once"
    assert [(f["code"], f["line"]) for f in record["findings"]] == [("GM003", 13), ("GM001", 13)]
    assert record["fits"][0]["status"] == "failed" and record["fits"][0]["line"] == 23
    assert value_of(kc, "_side") == "[1]"


# -- issue 10: the traceback of a %%gradcheck cell is the one IPython shows without gradmagic ------

_TINY = ("import numpy as np, keras\nkeras.utils.set_random_seed(0)\n"
         "x = np.random.rand(16, 4).astype('float32'); y = np.random.rand(16, 1).astype('float32')\n"
         "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n")
FAILING_CELLS = {
    "no-gradients": program("broken/gm003_argmax_loss").read_text(),
    "callback": _TINY + (
        "class Stop(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        raise RuntimeError(f'stopped at epoch {epoch}')\n"
        "model.compile(optimizer='sgd', loss='mse')\n"
        "model.fit(x, y, epochs=2, verbose=0, callbacks=[Stop()])\n"),
    "symbolic-numpy": _TINY + (
        "def numpy_loss(y_true, y_pred):\n"
        "    return float(y_pred.numpy().mean())\n"
        "model.compile(optimizer='sgd', loss=numpy_loss)\n"
        "model.fit(x, y, epochs=1, verbose=0)\n"),
}


def _frames(traceback):
    """The frames of an IPython traceback: ``("cell", line)`` for the cell's own, ``(file, line)`` else."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(traceback))
    found = re.finditer(r"^(?:Cell In\[\d+\], line (\d+)|File ([^\s:]+):(\d+))", text, re.M)
    return [("cell", int(m[1])) if m[1] else (m[2], int(m[3])) for m in found], text


@pytest.mark.parametrize("name", list(FAILING_CELLS))
def test_the_traceback_is_the_one_ipython_shows_without_gradmagic(kc, name):
    body = FAILING_CELLS[name]
    plain, _ = execute(kc, "# the same line numbers as under the magic\n" + body, cell_id="plain-tb")
    checked, outputs = execute(kc, "%%gradcheck --quiet\n" + body, cell_id="checked-tb")
    assert plain["status"] == checked["status"] == "error"
    assert (checked["ename"], checked["evalue"]) == (plain["ename"], plain["evalue"])
    plain_frames, _ = _frames(plain["traceback"])
    frames, text = _frames(checked["traceback"])
    assert frames == plain_frames and frames[0][0] == "cell"
    assert "run_cell_magic" not in text and "gradmagic" not in text
    shown_error = next(content for kind, content in outputs if kind == "error")
    assert shown_error["traceback"] == checked["traceback"]
    kinds = [kind for kind, _ in shown(outputs)]
    assert kinds[-1] == "error" and "record" in kinds  # the diagnosis, then the cell's own error


@pytest.mark.parametrize("name", list(FAILING_CELLS))
def test_under_gradcheck_on_the_traceback_is_the_one_ipython_shows_without_gradmagic(kc, name):
    body = FAILING_CELLS[name]
    plain, _ = execute(kc, body, cell_id="plain-on-tb")
    assert execute(kc, "%gradcheck on", cell_id=None)[0]["status"] == "ok"
    try:
        checked, outputs = execute(kc, body, cell_id="checked-on-tb")
    finally:
        execute(kc, "%gradcheck off", cell_id=None)
    assert plain["status"] == checked["status"] == "error"
    assert (checked["ename"], checked["evalue"]) == (plain["ename"], plain["evalue"])
    plain_frames, _ = _frames(plain["traceback"])
    frames, text = _frames(checked["traceback"])
    assert frames == plain_frames and frames[0][0] == "cell"
    assert "gradmagic" not in text and "hidden" not in text
    _, plain_text = _frames(plain["traceback"])
    assert re.sub(r"In\[\d+\]", "In[N]", text) == re.sub(r"In\[\d+\]", "In[N]", plain_text)


def test_a_gradcheck_cell_stops_run_all_as_a_plain_cell_does(kc):
    """An execute request with ``stop_on_error`` aborts the requests queued behind a failing cell."""
    cell = "%%gradcheck --quiet\n" + FAILING_CELLS["callback"]
    ids = []
    for code in (cell, "_after_failure = 1"):
        msg = kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                 "user_expressions": {}, "allow_stdin": False,
                                                 "stop_on_error": True})
        kc.shell_channel.send(msg)
        ids.append(msg["header"]["msg_id"])
    replies = {}
    while len(replies) < 2:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") in ids:
            replies[reply["parent_header"]["msg_id"]] = reply["content"]
    assert replies[ids[0]]["status"] == "error" and replies[ids[1]]["status"] == "aborted"
    assert value_of(kc, "'_after_failure' in globals()") == "False"
