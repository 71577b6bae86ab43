"""Issue 10 in an IPython shell: options that exist work, and `%gradcheck on` never runs a cell twice.

One in-process ``InteractiveShell`` (no kernel): ``%load_ext gradmagic`` into it, cells through
``run_cell``; displays and tracebacks go to stdout, gradmagic's notices to stderr.
"""

from __future__ import annotations

import json
import re

import keras
import pytest
from IPython.core.interactiveshell import InteractiveShell

SETUP = """
import numpy as np, keras, tensorflow as tf
keras.backend.clear_session()
keras.utils.set_random_seed(0)
x = np.random.rand(32, 4).astype("float32")
y = (x.sum(axis=1) > 2).astype("int32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
def argmax_loss(y_true, y_pred):
    return tf.reduce_mean(tf.cast(tf.argmax(y_pred, axis=-1), tf.float32))
"""


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "gradmagic")
    yield ip
    ip.run_line_magic("gradcheck", "off")


def run(shell, cell):
    result = shell.run_cell(cell, store_history=True)
    return result


def test_record_every_1_reads_the_statistics_after_every_step(shell, tmp_path):
    assert run(shell, SETUP).success
    out = tmp_path / "report.json"
    result = run(shell, f"%%gradcheck --record-every 1 --quiet --json {out}\n"
                        "history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)\n")
    assert result.success, result.error_in_exec
    fit = json.loads(out.read_text())["history"]["fits"][0]
    assert fit["steps"] == 8 and fit["interval"] == 1


def test_a_bad_option_value_is_one_line_and_the_cell_still_runs(shell, capsys):
    capsys.readouterr()
    result = run(shell, "%%gradcheck --record-every many\nanswer = 40 + 2\n")
    assert result.success, result.error_in_exec or result.error_before_exec
    assert shell.user_ns["answer"] == 42
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gradmagic: ignored the options `--record-every many`"), lines
    assert "Traceback" not in captured.out + captured.err and "UsageError" not in captured.out
    result = run(shell, "%%gradcheck --record-every 0\nanswer = 7\n")
    assert result.success and shell.user_ns["answer"] == 7
    assert "must be at least 1" in capsys.readouterr().err


def test_gradcheck_on_diagnoses_without_running_the_cell_again(shell, capsys):
    assert run(shell, SETUP + "L = []\n").success
    assert run(shell, "%gradcheck on").success
    try:
        capsys.readouterr()
        result = run(shell, 'print("side")\nL.append(1)\nmodel.compile(optimizer="sgd", loss=argmax_loss)\n'
                            "model.fit(x, y, epochs=1, verbose=0)\n")
        printed = capsys.readouterr().out
    finally:
        run(shell, "%gradcheck off")
    assert isinstance(result.error_in_exec, ValueError)
    assert "No gradients provided" in str(result.error_in_exec)
    assert shell.user_ns["L"] == [1]
    assert printed.count("side") == 1
    assert "error[GM003]" in printed and "model.fit(x, y, epochs=1, verbose=0)" in printed
    assert "fit #1 (line 4): failed with ValueError" in printed and "--> In[" in printed
    assert "fit" not in keras.Model.__dict__  # Keras is restored after the cell
    assert shell.custom_exceptions == ()


def test_gradcheck_on_leaves_healthy_cells_alone(shell, capsys):
    assert run(shell, SETUP).success
    assert run(shell, "%gradcheck on").success
    try:
        capsys.readouterr()
        result = run(shell, "history = model.fit(x, y, epochs=1, verbose=0)\nprint('done')\n")
        printed = capsys.readouterr().out
        assert "fit" not in keras.Model.__dict__
    finally:
        run(shell, "%gradcheck off")
    assert result.success and printed == "done\n"


# -- issue 10: a %%gradcheck cell runs as plain code: IPython's own traceback and line numbers ------

def test_a_gradcheck_cell_shows_ipythons_own_traceback(shell, capsys):
    assert run(shell, SETUP).success
    capsys.readouterr()
    result = run(shell, '%%gradcheck --quiet\nmodel.compile(optimizer="sgd", loss=argmax_loss)\n'
                        "model.fit(x, y, epochs=1, verbose=0)\n")
    printed = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert isinstance(result.error_in_exec, ValueError)
    assert "error[GM003]" in printed  # the diagnosis comes first ...
    traceback = printed[printed.index("Traceback"):]  # ... then the cell's own traceback
    assert "----> 3 model.fit(x, y, epochs=1, verbose=0)" in traceback
    assert "run_cell_magic" not in traceback and "gradmagic" not in traceback
    assert "fit" not in keras.Model.__dict__ and shell.custom_exceptions == ()


def test_a_gradcheck_cell_keeps_its_value_syntax_errors_and_the_magics_own_uses(shell, capsys):
    assert run(shell, SETUP).success
    capsys.readouterr()
    result = run(shell, "%%gradcheck\nhistory = model.fit(x, y, epochs=1, verbose=0)\nlen(history.history['loss'])\n")
    assert result.success and result.result == 1
    printed = capsys.readouterr().out
    assert printed.index("fit call(s) checked") < printed.index("Out[")  # the record, then the value

    result = run(shell, "%%gradcheck\nx = (1,\n")
    assert isinstance(result.error_before_exec, SyntaxError)
    assert "no `fit` call ran" not in capsys.readouterr().out and "fit" not in keras.Model.__dict__

    assert run(shell, "%%gradcheck --help\nnot_run = 1\n").success
    assert "not_run" not in shell.user_ns and "--record-every" in capsys.readouterr().out
    result = run(shell, "%%gradcheck on\nnot_run = 1\n")
    assert not result.success and "not_run" not in shell.user_ns

    result = run(shell, "get_ipython().run_cell_magic('gradcheck', '--quiet', 'direct = 40 + 2')")
    assert result.success and shell.user_ns["direct"] == 42
    result = run(shell, "%%gradcheck --quiet\nget_ipython().run_cell('inner = 1')\nouter = 2\n")
    assert result.success and shell.user_ns["inner"] == 1 and shell.user_ns["outer"] == 2
    assert "__gradmagic_cell_end__" not in dir(__import__("builtins")) and shell.custom_exceptions == ()
