"""Issue 10: the live panel's traffic is bounded. 1,500 one-step epochs under the live panel send
less than 1 MB to the frontend in all (the whole history with every epoch sent 59 MB), and the
panel still ends with the complete (bounded) history of the fit.

The bytes are counted where a widget's messages leave Python: the comm's ``publish_msg``
(``comm_open`` with the initial state, then every state update and custom message).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import comm
import keras
import numpy as np
import pytest

from gradmagic import check
from gradmagic.magics import LIVE_POINTS, _LiveView, present
from gradmagic.views.widget import BUNDLE, CellText

pytestmark = pytest.mark.slow

EPOCHS = 1500
NODE = shutil.which("node")
REPLAY = """
import { readFileSync } from "fs";
import { pathToFileURL } from "url";
const { applyLivePoints, liveTraining } = await import(pathToFileURL(process.argv[2]).href);
let live = null;
for (const msg of JSON.parse(readFileSync(process.argv[3], "utf8"))) live = applyLivePoints(live, msg);
console.log(JSON.stringify(liveTraining(live)));
"""


@pytest.fixture
def sent(monkeypatch):
    messages: list[tuple[str, int, dict]] = []

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        size = len(json.dumps(data, default=str).encode()) + sum(len(bytes(b)) for b in buffers or [])
        messages.append((msg_type, size, data or {}))

    monkeypatch.setattr(comm.DummyComm, "publish_msg", publish_msg)
    return messages


def test_1500_one_step_epochs_send_under_a_megabyte_and_end_with_the_whole_history(sent, tmp_path):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    x = np.random.rand(8, 4).astype("float32")
    y = np.random.rand(8, 1).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    session = check()
    live = _LiveView(session, CellText(cell_id="traffic"), enabled=True)
    received: dict[int, float] = {}
    add = live._add
    live._add = lambda point: (received.setdefault(point["step"], point.get("loss")), add(point))
    session.listeners.append(live)
    with session as report:
        model.fit(x, y, epochs=EPOCHS, batch_size=8, verbose=0)
    present(report, live.cell, panel=live.panel)

    total = sum(size for _, size, _ in sent)
    live_updates = [data for kind, _, data in sent if kind == "comm_msg"]
    assert total < 1_000_000, f"{total:,} bytes in {len(sent)} messages"
    assert len(live_updates) >= 2  # the panel did follow the fit

    training = live.panel.training  # the final state: the recorder's whole bounded history
    assert EPOCHS - 8 < training["loss"]["steps"][-1] <= EPOCHS  # the last bucket's first step
    assert len(training["loss"]["steps"]) == len(training["loss"]["values"]) > 100
    assert all(v is not None for v in training["loss"]["values"])
    assert training["epoch_ends"][-1] == EPOCHS
    assert live.panel.header["running"] is False
    fits = report.history["fits"]
    assert len(fits) == 1 and fits[0]["steps"] == EPOCHS

    # the frontend, fed only the live messages, holds a correct (bounded) picture of the fit
    custom = [data["content"] for kind, _, data in sent if kind == "comm_msg" and data.get("method") == "custom"]
    assert custom and all(msg["kind"] == "training_points" for msg in custom)
    assert all(len(msg["steps"]) <= LIVE_POINTS + 1 for msg in custom)
    assert sum(len(msg["steps"]) for msg in custom) < EPOCHS + len(custom) + 4 * LIVE_POINTS  # new points only
    if NODE is None:
        pytest.skip("node is not installed")
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(custom))
    script = tmp_path / "replay.mjs"
    script.write_text(REPLAY)
    done = subprocess.run([NODE, str(script), str(BUNDLE),
                           str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)["loss"]
    steps = shown["steps"]
    assert 2 <= len(steps) <= LIVE_POINTS and steps == sorted(set(steps)) and steps[0] == 1
    assert steps[-1] == max(step for msg in custom for step in msg["steps"])
    assert all(received[step] == value for step, value in zip(steps, shown["values"], strict=True))
