"""A report of a 300-layer model is as readable as one of a 3-layer model (issue 10)."""

import json

import pytest
from helpers import check_source

from gradmagic.views.text import render_report

DEEP = """
import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32")
y = np.random.rand(64, 1).astype("float32")
model = keras.Sequential([keras.Input((4,))])
for _ in range(300):
    model.add(keras.layers.Dense(4, activation="relu", bias_initializer=keras.initializers.Constant(-1.0)))
model.add(keras.layers.Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=32, verbose=0)
"""


@pytest.mark.slow
def test_three_hundred_dead_layers_are_one_finding_with_a_short_fix():
    run = check_source(DEEP, "/tmp/gm_deep_model.py")
    report = run.report
    assert len(report.findings) <= 5, report.codes()
    dead = [f for f in report.findings if f.code == "GM304"]
    assert len(dead) == 1  # one cause, every layer listed in its evidence
    assert len(dead[0].evidence["layers"]) >= 250
    assert all(len(fix.title) < 200 for f in report.findings for fix in f.fixes)
    assert "more" in dead[0].fixes[-1].title  # `dense`, `dense_1`, ... and N more
    text = render_report(report, color=False)
    assert len(text) < 20_000, len(text)
    assert len(report.to_json()) < 1_500_000
    json.loads(report.to_json())
