"""``python -m gradmagic check``: exit codes 0/1/2, the JSON report and ``tool_error``."""

import json
import os
import subprocess
import sys

from helpers import program

from gradmagic import cli


def _run(*args, cwd=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "gradmagic", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_broken_script_exits_1_and_writes_json(tmp_path):
    out = tmp_path / "report.json"
    done = _run("check", str(program("broken/gm003_argmax_loss")), "--json", str(out))
    assert done.returncode == 1, done.stderr
    assert "error[GM003]" in done.stdout
    assert "gm003_argmax_loss.py:11" in done.stdout
    data = json.loads(out.read_text())
    assert data["tool_error"] is None
    assert {"GM001", "GM003"} <= {f["code"] for f in data["findings"]}
    assert data["fits"][0]["status"] == "failed"


def test_healthy_script_exits_0_and_its_output_stays_visible(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text(program("healthy/regression").read_text() + '\nprint("hello from the script")\n')
    out = tmp_path / "report.json"
    done = _run("check", str(script), "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello from the script" in done.stdout
    data = json.loads(out.read_text())
    assert data["tool_error"] is None and data["fits"][0]["status"] == "completed"


def test_missing_file_exits_2_with_one_line_and_json(tmp_path):
    out = tmp_path / "report.json"
    done = _run("check", str(tmp_path / "nope.py"), "--json", str(out))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "nope.py" in done.stderr
    assert "cannot read" in json.loads(out.read_text())["tool_error"]


def test_syntax_error_exits_2_naming_file_and_line(tmp_path):
    script = tmp_path / "broken_syntax.py"
    script.write_text("import keras\nmodel = keras.Sequential([\nprint('x'\n")
    out = tmp_path / "report.json"
    code = cli.main(["check", str(script), "--json", str(out)])
    assert code == 2
    error = json.loads(out.read_text())["tool_error"]
    assert error.startswith("syntax error in") and "broken_syntax.py:" in error


def test_internal_failure_exits_2_with_tool_error(tmp_path, monkeypatch, capsys):
    import gradmagic.views.text as text_view

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(text_view, "render_report", broken)
    script = tmp_path / "tiny.py"
    script.write_text("x = 1\n")
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out)]) == 2
    assert json.loads(out.read_text())["tool_error"] == "RuntimeError: renderer exploded"
    assert "Traceback" not in capsys.readouterr().err


def test_explain_prints_the_rule_doc(capsys):
    assert cli.main(["explain", "gm003"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("GM003 non-differentiable-op (error)")
    assert "## Fix safety" in text
    assert cli.main(["explain", "GM999"]) == 2
