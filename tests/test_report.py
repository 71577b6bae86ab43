"""The report contract of findings.md: fields, JSON round trip, the fits list."""

import json
import re

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


def test_library_api_reraises_unless_asked_not_to(tmp_path):
    import keras
    import numpy as np

    import gradmagic

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with gradmagic.check(reraise=False) as report:
        result = model.fit(np.zeros((4, 2)), np.zeros((3, 1)), verbose=0)
    assert result is None
    assert report.fits[0].status == "failed"
    assert report.fits[0].line is not None
    assert "fit" not in keras.Model.__dict__ and "train_on_batch" not in keras.Model.__dict__
    try:
        with gradmagic.check():
            model.fit(np.zeros((4, 2)), np.zeros((3, 1)), verbose=0)
    except ValueError:
        pass
    else:
        raise AssertionError("check() did not re-raise by default")


# -- one finding per cause, ``caused_by``, strict JSON, ``script_exit`` (findings.md) -----------------

import math  # noqa: E402

import numpy as np  # noqa: E402

from gradmagic.report.model import Finding, Fix, ScriptExit  # noqa: E402
from gradmagic.report.writer import ReportWriter  # noqa: E402
from gradmagic.rules.registry import CONSEQUENCES, LAYER_MERGED_CODES, REPORT_POLICY, RULES  # noqa: E402


def _strict_loads(text):
    return json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


def _finding(code, severity="error", line=1, layer=None, message="m", fixes=(), **evidence):
    return Finding(code=code, name=code.lower(), severity=severity, message=message, line=line, layer=layer,
                   evidence=dict(evidence), fixes=list(fixes))


def _fix(fix_id):
    return Fix(id=fix_id, title=fix_id, safety="safe", patched_source=f"# {fix_id}\n", diff="--- a/x\n+++ b/x\n")


def test_same_cause_in_many_fits_is_one_finding_listing_the_fits():
    report = Report()
    for fit in range(30):
        ReportWriter(report, REPORT_POLICY).add(_finding("GM307", "warning", line=7, message=f"update ratio {fit / 10}"), fit=fit)
        ReportWriter(report, REPORT_POLICY).add(_finding("GM308", "warning", line=7, message="low"), fit=fit)
    assert report.codes() == ["GM307", "GM308"]
    assert report.by_code("GM307")[0].evidence["fits"] == list(range(30))
    assert report.by_code("GM307")[0].message == "update ratio 0.0"  # the first is kept
    ReportWriter(report, REPORT_POLICY).add(_finding("GM307", "warning", line=9, message="elsewhere"), fit=30)  # another line: another cause
    assert [f.evidence["fits"] for f in report.by_code("GM307")] == [list(range(30)), [30]]


def test_same_cause_in_many_layers_is_one_finding_listing_the_layers():
    report = Report()
    for i in range(300):
        ReportWriter(report, REPORT_POLICY).add(_finding("GM304", "warning", line=10 + i, layer=f"dense_{i}", message=f"dead `dense_{i}`",
                            fixes=[_fix(f"leaky-relu-{i}")], dead_units=i + 1, units=300), fit=0)
    ReportWriter(report, REPORT_POLICY).add(_finding("GM306", "warning", line=99, message="zero gradients"), fit=0)
    assert report.codes() == ["GM304", "GM306"]
    merged = report.by_code("GM304")[0]
    assert (merged.layer, merged.line) == ("dense_0", 10)  # the first layer's
    assert [fix.id for fix in merged.fixes] == ["leaky-relu-0"]  # said once
    assert [e["layer"] for e in merged.evidence["layers"]] == [f"dense_{i}" for i in range(300)]
    assert merged.evidence["layers"][1]["dead_units"] == 2 and merged.evidence["layers"][1]["line"] == 11
    assert merged.message.startswith("units of 300 layers output 0 for every sample")
    assert "`dense_0` (1/300), `dense_1` (2/300)" in merged.message and "and 292 more" in merged.message
    assert merged.evidence["fits"] == [0]
    # the next fit: the same layers merge into the same finding
    for i in range(300):
        ReportWriter(report, REPORT_POLICY).add(_finding("GM304", "warning", line=10 + i, layer=f"dense_{i}", message=f"dead again {i}"), fit=1)
    assert len(report.by_code("GM304")) == 1 and merged.evidence["fits"] == [0, 1]
    assert report.by_code("GM306")[0].caused_by == report.findings.index(merged)


def test_layers_of_other_codes_and_fits_stay_apart():
    report = Report()
    ReportWriter(report, REPORT_POLICY).add(_finding("GM003", line=3, layer="a", message="round"), fit=0)
    ReportWriter(report, REPORT_POLICY).add(_finding("GM003", line=4, layer="b", message="argmax"), fit=0)  # two causes, not per-layer
    ReportWriter(report, REPORT_POLICY).add(_finding("GM305", "warning", line=5, layer="a", message="sat a"), fit=0)
    ReportWriter(report, REPORT_POLICY).add(_finding("GM305", "warning", line=6, layer="b", message="sat b"), fit=1)  # another fit
    assert report.codes().count("GM003") == 2 and report.codes().count("GM305") == 2
    assert "GM305" in LAYER_MERGED_CODES and "GM003" not in LAYER_MERGED_CODES


def test_consequences_point_at_their_cause_and_come_after_the_causes():
    report = Report()
    ReportWriter(report, REPORT_POLICY).add(_finding("GM001", message="no gradients", fixes=[_fix("use-crossentropy")]), fit=0)
    ReportWriter(report, REPORT_POLICY).add(_finding("GM202", "warning", line=2, message="unscaled"), fit=0)
    ReportWriter(report, REPORT_POLICY).add(_finding("GM003", line=11, message="argmax", fixes=[_fix("use-crossentropy")]), fit=0)
    assert report.codes() == ["GM003", "GM202", "GM001"]
    no_gradients = report.by_code("GM001")[0]
    assert no_gradients.caused_by == 0 and report.findings[0].code == "GM003"
    assert report.findings[0].caused_by is None and report.findings[1].caused_by is None
    assert report.fixes_to_show(no_gradients) == []  # views offer the fix once, with the cause
    assert [f.id for f in no_gradients.fixes] == ["use-crossentropy"]  # the JSON keeps it
    data = _strict_loads(report.to_json())
    assert [f["caused_by"] for f in data["findings"]] == [None, None, 0]
    # a cause in another fit is not this fit's cause
    ReportWriter(report, REPORT_POLICY).add(_finding("GM001", message="no gradients, fit 1", line=30), fit=1)
    lone = next(f for f in report.by_code("GM001") if f.evidence["fits"] == [1])
    assert lone.caused_by is None and no_gradients.caused_by == report.findings.index(report.by_code("GM003")[0])
    from gradmagic.views.text import render_report

    text = render_report(report)
    assert "= followed by: error[GM001] gm001: no gradients" in text
    assert text.count("error[GM001]") == 2  # fit 1's has no cause: a block of its own


def test_consequences_table_is_acyclic_and_names_known_codes():
    documented = {"GM011", "GM205"}  # in findings.md; their rule modules may come later
    for symptom, causes in CONSEQUENCES.items():
        assert symptom in RULES
        assert set(causes) <= set(RULES) | documented, (symptom, set(causes) - set(RULES))
    def reaches(code, target, seen=()):
        return any(c == target or (c not in seen and reaches(c, target, (*seen, c))) for c in CONSEQUENCES.get(code, ()))
    assert not any(reaches(code, code) for code in CONSEQUENCES)


def test_to_json_is_strict_json_with_nan_and_infinity_as_strings():
    report = Report(history={"fits": [{"series": {"loss": {"steps": [1, 2, 3], "mean": np.array([0.5, np.nan, np.inf])}}}]},
                    graph={"nodes": [{"id": "dense", "mean": float("-inf"), "max": np.float32("nan")}]})
    ReportWriter(report, REPORT_POLICY).add(_finding("GM301", evidence_value=None, message="nan"), fit=0)
    report.findings[0].evidence.update({"first_loss": float("nan"), "peak": np.float64("inf"), "ints": np.arange(2),
                                        "pair": (1, float("-inf"))})
    data = _strict_loads(report.to_json(indent=2))
    assert data["findings"][0]["evidence"]["first_loss"] == "NaN"
    assert data["findings"][0]["evidence"]["peak"] == "Infinity"
    assert data["findings"][0]["evidence"]["ints"] == [0, 1]
    assert data["findings"][0]["evidence"]["pair"] == [1, "-Infinity"]
    assert data["history"]["fits"][0]["series"]["loss"]["mean"] == [0.5, "NaN", "Infinity"]
    assert data["graph"]["nodes"][0]["mean"] == "-Infinity" and data["graph"]["nodes"][0]["max"] == "NaN"
    assert math.isnan(report.findings[0].evidence["first_loss"])  # the live report keeps its floats


def test_old_reports_without_script_exit_or_caused_by_still_load():
    data = json.loads(Report(findings=[_finding("GM003")]).to_json())
    data.pop("script_exit")
    for finding in data["findings"]:
        finding.pop("caused_by")
    old = Report.from_dict(data)
    assert old.script_exit is None and old.findings[0].caused_by is None
    report = Report(script_exit=ScriptExit("exit", 3))
    assert Report.from_json(report.to_json()).script_exit == ScriptExit("exit", 3, None)


def test_a_loop_of_fits_on_a_broken_model_gives_one_finding_per_cause():
    source = """import numpy as np, tensorflow as tf, keras
keras.utils.set_random_seed(0)
x = np.random.rand(16, 4).astype("float32"); y = np.random.randint(0, 3, size=(16,))

def accuracy_loss(y_true, y_pred):
    return 1.0 - tf.reduce_mean(tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), tf.cast(y_true, tf.int64)), tf.float32))

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss=accuracy_loss)
for attempt in range(5):
    try:
        model.fit(x, y, epochs=1, verbose=0)
    except ValueError:
        pass
"""
    run = check_source(source, "/tmp/gm_fit_loop.py")
    report = run.report
    assert len(report.fits) == 5
    assert sorted(report.codes()) == ["GM001", "GM003"], report.codes()
    cause, symptom = report.by_code("GM003")[0], report.by_code("GM001")[0]
    assert cause.evidence["fits"] == [0, 1, 2, 3, 4] and symptom.evidence["fits"] == [0, 1, 2, 3, 4]
    assert symptom.caused_by == report.findings.index(cause) and cause.caused_by is None
    assert report.script_exit == ScriptExit("completed", 0)
    _strict_loads(report.to_json())


def test_dead_units_in_many_layers_of_a_real_model_are_one_finding():
    source = """import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(32, 4).astype("float32")
y = (x.sum(axis=1) > 2).astype("float32")
dead = dict(activation="relu", bias_initializer=keras.initializers.Constant(-5.0))
model = keras.Sequential([keras.Input((4,))] + [keras.layers.Dense(4, **dead) for _ in range(6)]
                         + [keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
"""
    report = check_source(source, "/tmp/gm_dead_layers.py").report
    dead = report.by_code("GM304")
    assert len(dead) == 1, report.codes()
    layers = [entry["layer"] for entry in dead[0].evidence["layers"]]
    assert len(layers) == 6 and dead[0].layer == layers[0]
    assert dead[0].message.startswith("units of 6 layers output 0 for every sample")
    assert len(report.findings) <= 5, report.codes()


def test_a_nan_loss_report_is_strict_json():
    report = check_program("broken/gm301_log_loss").report
    assert "GM301" in report.codes()
    text = report.to_json()
    data = _strict_loads(text)
    assert "NaN" in text  # written as strings
    assert Report.from_dict(data).codes() == report.codes()
    # the recorded history too spells them as the contract does, never Python's "nan"/"inf"
    assert data["history"]["fits"][0]["nonfinite"]["loss"]["loss"] in ("NaN", "Infinity", "-Infinity")
    assert not {'"nan"', '"inf"', '"-inf"'} & set(re.findall(r'"-?(?:nan|inf)"', text))


def test_findings_md_lists_every_registered_code_with_its_name():
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "findings.md").read_text()
    documented = dict(re.findall(r"^\| (GM\d{3}) \| ([a-z0-9-]+) \|", text, flags=re.M))
    for code, rule in RULES.items():
        assert documented.get(code) == rule.name, code
    # written in the contract, their rule modules still to come (tell the maintainers when this fails)
    assert set(documented) - set(RULES) <= {"GM011", "GM205"}
    for field in ("caused_by", "script_exit", "tool_error", '"Infinity"'):
        assert field in text
