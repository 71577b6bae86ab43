"""``python -m gradmagic check``: exit statuses (0/1/n/130/2), `script_exit`, the JSON report and ``tool_error``."""

import json
import os
import signal
import subprocess
import sys

import pytest
from helpers import program

from gradmagic import cli


def _run(*args, cwd=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    # A test runner's worker may ignore SIGINT, and a child inherits that: give the CLI the default
    # disposition, as a terminal would, so Python installs its KeyboardInterrupt handler.
    return subprocess.run([sys.executable, "-m", "gradmagic", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_broken_script_exits_1_and_writes_json(tmp_path):
    out = tmp_path / "report.json"
    done = _run("check", str(program("broken/gm003_argmax_loss")), "--json", str(out))
    assert done.returncode == 1, done.stderr
    assert "error[GM003]" in done.stdout
    assert "gm003_argmax_loss.py:11:21" in done.stdout  # line and column of the `tf.argmax` call
    # each fix shows its diff under the finding; the raw evidence dump is gone (the JSON has it)
    assert '     | +model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")' in done.stdout
    assert "= evidence:" not in done.stdout
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


# -- how the script ended decides the exit status (findings.md: the exit table, ``script_exit``) --

SCRIPT_ENDINGS = {
    "completed": ("print('done')\n", 0, {"kind": "completed", "status": 0, "exception_type": None}),
    "exit_0": ("import sys\nsys.exit(0)\n", 0, {"kind": "exit", "status": 0, "exception_type": None}),
    "exit_none": ("import sys\nsys.exit()\n", 0, {"kind": "exit", "status": 0, "exception_type": None}),
    "exit_3": ("import sys\nsys.exit(3)\n", 3, {"kind": "exit", "status": 3, "exception_type": None}),
    "exit_2": ("import sys\nsys.exit(2)\n", 2, {"kind": "exit", "status": 2, "exception_type": None}),
    "exit_message": ("import sys\nsys.exit('the loss is too high')\n", 1,
                     {"kind": "exit", "status": 1, "exception_type": None}),
    "exception": ("config = {}\nconfig['units']\n", 1, {"kind": "exception", "status": 1, "exception_type": "KeyError"}),
    "interrupted": ("raise KeyboardInterrupt\n", 130,
                    {"kind": "interrupted", "status": 130, "exception_type": "KeyboardInterrupt"}),
}


@pytest.mark.parametrize("ending", sorted(SCRIPT_ENDINGS))
def test_exit_status_follows_how_the_script_ended(tmp_path, capsys, ending):
    source, status, script_exit = SCRIPT_ENDINGS[ending]
    script = tmp_path / f"{ending}.py"
    script.write_text(source)
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out)]) == status
    data = json.loads(out.read_text())
    assert data["script_exit"] == script_exit
    assert data["tool_error"] is None
    err = capsys.readouterr().err
    if ending == "exit_message":
        assert "the loss is too high" in err.splitlines()


def test_a_real_sigint_exits_130_and_keeps_the_partial_report(tmp_path):
    script = tmp_path / "ctrl_c.py"
    script.write_text(program("healthy/regression").read_text()
                      + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGINT)\nprint('not reached')\n")
    out = tmp_path / "report.json"
    done = _run("check", str(script), "--json", str(out))
    assert done.returncode == 130, done.stdout + done.stderr
    assert "not reached" not in done.stdout
    data = json.loads(out.read_text())
    assert data["script_exit"] == {"kind": "interrupted", "status": 130, "exception_type": "KeyboardInterrupt"}
    assert data["fits"] and data["fits"][0]["status"] == "completed"  # the partial report is written


def test_sys_exit_n_in_a_subprocess(tmp_path):
    script = tmp_path / "gate.py"
    script.write_text(program("broken/gm003_argmax_loss").read_text() + "\nimport sys\nsys.exit(3)\n")
    out = tmp_path / "report.json"
    done = _run("check", str(script), "--json", str(out))
    assert done.returncode == 1, done.stderr  # the failing fit raised: an uncaught exception
    assert json.loads(out.read_text())["script_exit"]["kind"] == "exception"

    script.write_text("import sys\nprint(sys.argv[0])\nsys.exit(3)\n")
    done = _run("check", "gate.py", "--json", str(out), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines()[0] == "gate.py"  # argv[0] as the user typed it
    data = json.loads(out.read_text())
    assert data["script_exit"] == {"kind": "exit", "status": 3, "exception_type": None}
    assert data["tool_error"] is None


def test_error_findings_then_sys_exit_0_exits_1(tmp_path, capsys):
    source = program("broken/gm003_argmax_loss").read_text().replace(
        "model.fit(x, y, epochs=2, verbose=0)",
        "try:\n    model.fit(x, y, epochs=2, verbose=0)\nexcept ValueError:\n    pass\nimport sys\nsys.exit(0)")
    script = tmp_path / "swallowed.py"
    script.write_text(source)
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out)]) == 1
    data = json.loads(out.read_text())
    assert data["script_exit"] == {"kind": "exit", "status": 0, "exception_type": None}
    assert "GM003" in {f["code"] for f in data["findings"]}


def test_argv0_is_the_path_as_typed(tmp_path, capsys, monkeypatch):
    (tmp_path / "sub").mkdir()
    script = tmp_path / "sub" / "show_argv.py"
    script.write_text("import sys\nprint('ARGV', sys.argv)\nprint('FILE', __file__)\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "sub/show_argv.py", "--", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "ARGV ['sub/show_argv.py', '--epochs', '3']" in out
    assert f"FILE {script.resolve()}" in out  # __file__ is absolute, as python FILE makes it


def test_gradmagic_failures_exit_2_with_script_exit_null(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert cli.main(["check", str(tmp_path / "nope.py"), "--json", str(out)]) == 2
    data = json.loads(out.read_text())
    assert data["tool_error"] and data["script_exit"] is None
    script = tmp_path / "tiny.py"
    script.write_text("x = 1\n")
    capsys.readouterr()
    assert cli.main(["check", str(script), "--json", str(tmp_path / "no_such_dir" / "r.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: cannot write the JSON report to")


def test_a_failing_scripts_traceback_is_the_one_python_prints_without_gradmagic(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(
        "import numpy as np, keras\n"
        "keras.utils.set_random_seed(0)\n"
        "def train(model):\n"
        "    model.fit(np.ones((8, 3)), np.ones((8, 4, 5)), verbose=0)\n"
        "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
        "model.compile('adam', 'sparse_categorical_crossentropy')\n"
        "train(model)\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    checked = _run("check", str(script))
    assert plain.returncode == checked.returncode == 1

    def traceback_of(stderr):
        start = stderr.index("Traceback (most recent call last):")
        return stderr[start:stderr.index("ValueError:", start)]

    expected = traceback_of(plain.stderr)
    assert traceback_of(checked.stderr) == expected
    assert 'crash.py", line 7, in <module>' in expected and 'crash.py", line 4, in train' in expected
    assert "gradmagic" not in expected


def _strict(text):
    """JSON as a browser's ``JSON.parse`` reads it: a bare NaN/Infinity token is an error."""
    def refuse(token):
        raise ValueError(f"bare {token} in the report")

    return json.loads(text, parse_constant=refuse)


def test_the_json_of_a_run_whose_loss_went_nan_is_strict(tmp_path):
    out = tmp_path / "report.json"
    done = _run("check", str(program("broken/gm301_log_loss")), "--json", str(out))
    text = out.read_text()
    data = _strict(text)
    assert "GM301" in {f["code"] for f in data["findings"]}, done.stdout
    assert '"NaN"' in text or '"Infinity"' in text  # the non-finite values are there, as strings
