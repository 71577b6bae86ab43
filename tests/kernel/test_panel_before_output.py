"""The panel is displayed before the cell's own output starts (issue 13, point 5), in a real kernel.

A ``%%gradcheck`` cell that writes a ``fit`` call shows its panel ("running") before anything the
cell prints, so Keras's progress bar (``verbose=1``) stays whole below it instead of being split
by the panel; a cell whose ``fit`` never ran has the panel replaced by the one-line note. The
record carries the panel's payloads in its display metadata, for the full panel after a reload.
"""


import pytest
from kernel_support import WIDGET_MIME, execute, running_kernel

from gradmagic.magics import NO_FIT_NOTE, writes_fit
from gradmagic.views.record import MIME_TYPE

pytestmark = pytest.mark.slow


CELL = """%%gradcheck
import numpy as np
import keras
keras.utils.set_random_seed(0)
x = np.random.rand(256, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)
print("data ready")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=1)
"""


@pytest.fixture(scope="module")
def kc():
    with running_kernel("%load_ext gradmagic") as client:
        yield client


def run(client, code, cell_id="cell"):
    """Run ``code``; the execute_reply content and the visible outputs as (kind, content), in order,
    gradmagic's widget and record named as such."""
    reply, messages = execute(client, code, cell_id)
    outputs = []
    for kind, content in messages:
        if kind == "display_data" and WIDGET_MIME in content["data"]:
            kind = "widget"
        elif kind == "display_data" and MIME_TYPE in content["data"]:
            kind = "record"
        if kind not in ("comm_open", "comm_msg"):
            outputs.append((kind, content))
    return reply, outputs


def test_writes_fit_reads_the_cell_text():
    assert writes_fit("model.fit(x, y)\n")
    assert writes_fit("if False:\n    history = m.fit(x, y, epochs=2)\n")
    assert writes_fit("model.fit(x, y\n")  # a syntax error: read as text
    assert not writes_fit("answer = 40 + 2\nprint('fit')\n")
    assert not writes_fit("train(model)\n")


def test_the_panel_comes_before_the_cells_output_and_the_progress_bar(kc):
    reply, outputs = run(kc, CELL, cell_id="verbose")
    assert reply["status"] == "ok", reply
    kinds = [kind for kind, _ in outputs]
    assert kinds.count("widget") == 1 and kinds.count("record") == 1
    first_stream = kinds.index("stream")
    assert kinds.index("widget") < first_stream  # before "data ready", before "Epoch 1/3"
    stdout = "".join(c["text"] for kind, c in outputs if kind == "stream" and c["name"] == "stdout")
    assert stdout.startswith("data ready\n")
    for epoch in ("Epoch 1/3", "Epoch 2/3", "Epoch 3/3"):
        assert epoch in stdout
    # nothing of ours between the progress bar's pieces: the record comes after the last of them
    last_stream = max(i for i, kind in enumerate(kinds) if kind == "stream")
    assert kinds.index("record") > last_stream
    assert all(kind == "stream" for kind in kinds[first_stream:last_stream + 1])


def test_the_record_carries_the_panel_for_a_reloaded_notebook(kc):
    """The record's display metadata holds the panel's payloads (``saved_panel``): the labextension
    draws the full panel from them once the widget's model is gone (tests/ui/specs/saved-panel.spec.ts)."""
    reply, outputs = run(kc, CELL.replace("verbose=1", "verbose=0"), cell_id="saved")
    assert reply["status"] == "ok", reply
    record = next(content for kind, content in outputs if kind == "record")
    saved = record["metadata"][MIME_TYPE]["panel"]
    assert set(saved) == {"header", "findings", "graph", "training"}
    assert saved["header"]["running"] is False and saved["header"]["cell_id"] == "saved"
    assert [fit["status"] for fit in saved["header"]["fits"]] == ["completed"]
    assert saved["graph"]["nodes"] and saved["training"]["loss"]["steps"]
    assert [f["code"] for f in saved["findings"]] == [f["code"] for f in record["data"][MIME_TYPE]["findings"]]


def test_a_fit_that_never_ran_leaves_the_note_in_the_panels_place(kc):
    reply, outputs = run(kc, "%%gradcheck\nif False:\n    model.fit(x, y)\nprint('skipped')", cell_id="skip")
    assert reply["status"] == "ok", reply
    kinds = [kind for kind, _ in outputs]
    assert kinds == ["widget", "stream", "update_display_data"]
    widget = outputs[0][1]
    update = outputs[2][1]
    assert update["data"] == {"text/plain": NO_FIT_NOTE}
    assert update["transient"]["display_id"] == widget["transient"]["display_id"]
