"""The TypeScript side of the contract, checked against Python.

- ``labextension/src/protocol.ts`` names every field of ``Report.to_dict()`` (report, findings,
  fixes, fits, script_exit) and no field the report does not have;
- real records (a report checked here, the fixtures) and the panel's real widget state type-check
  with ``tsc`` against ``IReport`` and ``IPanelState`` (``labextension/src/panel/types.ts``), so a
  key Python adds, renames or drops fails here;
- ``tsc`` passes on the panel's modules (``labextension/tsconfig.panel.json``) and on the
  labextension (``labextension/tsconfig.json``): the type check is part of the test suite, as it
  is part of ``jlpm build`` (``./dev.sh setup``).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gradmagic.report.model import Finding, FitRecord, Fix, Report, ScriptExit
from gradmagic.views.widget import CellText, DiagnosisPanel

ROOT = Path(__file__).parents[2]
SRC = ROOT / "labextension" / "src"
PROTOCOL = SRC / "protocol.ts"
PANEL_TYPES = SRC / "panel" / "types.ts"
TYPESCRIPT = ROOT / "node_modules" / "typescript"
TSC = TYPESCRIPT / "bin" / "tsc"
FIXTURES = Path(__file__).parent / "fixtures"
NODE = shutil.which("node")

PAIRS = {"IReport": Report, "IFinding": Finding, "IFix": Fix, "IFitRecord": FitRecord, "IScriptExit": ScriptExit}

FAILING = """
import numpy as np, keras, tensorflow as tf
keras.utils.set_random_seed(0)
x = np.random.rand(32, 4).astype("float32"); y = np.random.randint(0, 3, size=(32,))
def accuracy_loss(y_true, y_pred):
    hits = tf.equal(tf.argmax(y_pred, axis=-1), tf.cast(tf.reshape(y_true, [-1]), tf.int64))
    return 1.0 - tf.reduce_mean(tf.cast(hits, tf.float32))
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax", name="head")])
model.compile(optimizer="adam", loss=accuracy_loss)
model.fit(x, y, epochs=1, verbose=0)
"""


def need_typescript() -> None:
    if NODE is None:
        pytest.skip("node is not installed")
    if not TSC.exists():
        pytest.skip("node_modules/typescript is missing: run `jlpm install` (./dev.sh setup does)")


def tsc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, str(TSC), *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)


def tsc_strict(path: Path) -> subprocess.CompletedProcess:
    """``tsc`` in strict mode on one file (which imports the project's types by absolute path)."""
    config = path.with_name("tsconfig.json")
    config.write_text(json.dumps({"compilerOptions": {
        "noEmit": True, "strict": True, "skipLibCheck": True, "target": "ES2020", "module": "esnext",
        "moduleResolution": "node", "lib": ["ES2020", "DOM"], "types": []}, "files": [str(path)]}))
    return tsc("-p", str(config))


def interfaces(path: Path) -> dict[str, dict[str, dict]]:
    done = subprocess.run([NODE, str(Path(__file__).with_name("ts_interfaces.mjs")), str(TYPESCRIPT), str(path)],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def failing_report() -> Report:
    """A real report: a fit that fails on a metric-like loss (GM003 + GM001), with the CLI's script_exit."""
    from helpers import check_source

    report = check_source(FAILING, "/tmp/gm_protocol.py").report
    assert {"GM003", "GM001"} <= set(report.codes()), report.codes()
    assert report.fits and report.fits[0].status == "failed"
    report.script_exit = ScriptExit(kind="exception", status=1, exception_type="ValueError")
    report.cell_id = "cell-1"
    return report


def test_protocol_names_every_field_of_the_report_and_nothing_else(failing_report):
    need_typescript()
    declared = interfaces(PROTOCOL)
    for name, cls in PAIRS.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        assert set(declared[name]) == fields, (name, set(declared[name]) ^ fields)
    record = failing_report.to_dict()
    assert set(record) == set(declared["IReport"])
    for finding in record["findings"]:
        assert set(finding) == set(declared["IFinding"])
        for fix in finding["fixes"]:
            assert set(fix) == set(declared["IFix"])
    assert record["findings"][0]["fixes"], "the check offers no fix to compare"
    for fit in record["fits"]:
        assert set(fit) == set(declared["IFitRecord"])
    assert set(record["script_exit"]) == set(declared["IScriptExit"])
    assert set(record["docs"]) == set(failing_report.codes())
    # the literal types say the same as the report's Literal types
    assert declared["IFinding"]["severity"]["type"] == "Severity"
    assert declared["IFitRecord"]["status"]["type"] == "FitStatus"
    assert declared["IFix"]["safety"]["type"] == "Safety"
    protocol = PROTOCOL.read_text()
    assert "export type Severity = 'error' | 'warning' | 'info';" in protocol
    assert "export type FitStatus = 'completed' | 'failed' | 'interrupted';" in protocol
    assert "export type Safety = 'safe' | 'review';" in protocol


def _literal(value) -> str:
    return json.dumps(value, indent=1, allow_nan=False)


def test_real_records_and_panel_state_type_check(failing_report, tmp_path):
    need_typescript()
    records = [failing_report.to_dict()] + [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
    assert len(records) >= 4
    states = []
    for record in records:
        report = Report.from_dict(record)
        panel = DiagnosisPanel(report, CellText(cell_id=report.cell_id, text=report.source))
        states.append({name: getattr(panel, name) for name in ("header", "findings", "graph", "training", "applied")})
    running = DiagnosisPanel(cell=CellText(cell_id=None))
    running.show(Report(), running=True)
    states.append({name: getattr(running, name) for name in ("header", "findings", "graph", "training", "applied")})
    lines = [f"import type {{ IReport }} from {json.dumps(str(PROTOCOL.with_suffix('')))};",
             f"import type {{ IPanelState }} from {json.dumps(str(PANEL_TYPES.with_suffix('')))};"]
    lines += [f"export const record{i}: IReport = {_literal(r)};" for i, r in enumerate(records)]
    lines += [f"export const state{i}: IPanelState = {_literal(s)};" for i, s in enumerate(states)]
    checked = tmp_path / "records.ts"
    checked.write_text("\n".join(lines) + "\n")
    done = tsc_strict(checked)
    assert done.returncode == 0, done.stdout[-4000:]


def test_a_key_python_adds_is_a_type_error(tmp_path):
    """The check above can fail: an unknown key in a record or a payload is an error."""
    need_typescript()
    checked = tmp_path / "drift.ts"
    checked.write_text(
        f"import type {{ IFinding }} from {json.dumps(str(PROTOCOL.with_suffix('')))};\n"
        f"import type {{ IFixCard }} from {json.dumps(str(PANEL_TYPES.with_suffix('')))};\n"
        "export const f: IFinding = {code: 'GM001', name: 'no-gradients', severity: 'error', message: 'm', "
        "renamed_field: 1};\n"
        "export const x: IFixCard = {id: 'a', title: 't', reason: '', safety: 'safe', diff: '', cell_id: null, "
        "expected_source: '', new_source: ''};\n")
    done = tsc_strict(checked)
    assert done.returncode != 0
    assert "'renamed_field' does not exist in type 'IFinding'" in done.stdout
    assert "Property 'apply_disabled' is missing" in done.stdout


def test_panel_modules_type_check():
    need_typescript()
    done = tsc("-p", "labextension/tsconfig.panel.json")
    assert done.returncode == 0, done.stdout


def test_labextension_type_checks():
    need_typescript()
    done = tsc("-p", "labextension/tsconfig.json", "--noEmit")
    assert done.returncode == 0, done.stdout
