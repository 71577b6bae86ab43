"""The report contract of findings.md: fields, JSON round trip, the fits list."""

import json

from helpers import check_program, check_source

from gradmagic.report.model import Report

FINDING_FIELDS = {"code", "name", "severity", "message", "line", "layer", "evidence", "fixes"}
FIX_FIELDS = {"id", "title", "safety", "patched_source", "diff"}
FIT_FIELDS = {"index", "line", "status", "exception_type", "exception_message"}


def test_json_has_contract_fields_and_round_trips():
    report = check_program("broken/gm003_argmax_loss").report
    data = json.loads(report.to_json())
    assert data["tool_error"] is None
    for finding in data["findings"]:
        assert FINDING_FIELDS <= finding.keys()
        assert finding["code"].startswith("GM") and len(finding["code"]) == 5
        assert finding["severity"] in ("error", "warning", "info")
        for fix in finding["fixes"]:
            assert FIX_FIELDS <= fix.keys()
            assert fix["safety"] in ("safe", "review")
    assert FIT_FIELDS <= data["fits"][0].keys()
    assert Report.from_json(report.to_json()) == report


def test_fits_list_has_every_call_with_status_and_line():
    source = """import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(16, 2).astype("float32"); y = np.random.rand(16, 1).astype("float32")
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")

def train(epochs):
    return model.fit(x, y, epochs=epochs, verbose=0)

for epochs in (1, 2):
    train(epochs)

class Stop(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        raise KeyboardInterrupt

try:
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Stop()])
except KeyboardInterrupt:
    pass
model.fit(x, np.zeros((15, 1)), epochs=1, verbose=0)
"""
    run = check_source(source, "/tmp/fits_list.py")
    fits = run.report.fits
    assert [(f.index, f.line, f.status) for f in fits] == [
        (0, 8, "completed"), (1, 8, "completed"), (2, 18, "interrupted"), (3, 21, "failed")]
    assert fits[3].exception_type == "ValueError"
    assert fits[3].exception_message
    assert isinstance(run.error, ValueError)


def test_library_api_keeps_exception_unless_asked(tmp_path):
    import keras
    import numpy as np

    import gradmagic

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with gradmagic.check() as report:
        result = model.fit(np.zeros((4, 2)), np.zeros((3, 1)), verbose=0)
    assert result is None
    assert report.fits[0].status == "failed"
    assert report.fits[0].line is not None
    assert "fit" not in keras.Model.__dict__ and "train_on_batch" not in keras.Model.__dict__
    try:
        with gradmagic.check(reraise=True):
            model.fit(np.zeros((4, 2)), np.zeros((3, 1)), verbose=0)
    except ValueError:
        pass
    else:
        raise AssertionError("reraise=True did not re-raise")
