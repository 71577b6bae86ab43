"""Issue 10: a warning raised while the user's ``fit`` runs points at the line it points at
without gradmagic (gradmagic's wrapper adds frames, which would shift ``stacklevel``).

One small script, run plainly, inside ``gradmagic.check()`` and under ``python -m gradmagic
check``: every warning it shows is printed as ``file:line category message`` and the three
lists must be the same. The script has a class-level ``fit`` shim that warns with
``stacklevel=2`` (a common deprecation pattern: without gradmagic the warning names the user's
``fit`` line) and fits a ``tf.data`` dataset with ``shuffle=True`` (Keras's own warning), twice:
Python's "once per location" registry must still show each warning once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = '''\
import os, sys, warnings
import numpy as np, keras, tensorflow as tf

def show(message, category, filename, lineno, file=None, line=None):
    print(f"WARNING {os.path.basename(filename)}:{lineno} {category.__name__} {str(message)[:40]}", flush=True)

warnings.showwarning = show
keras.utils.set_random_seed(0)
x = np.random.rand(16, 4).astype("float32")
y = np.random.rand(16, 1).astype("float32")
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
_fit = keras.Model.fit

def fit(self, *args, **kwargs):  # a project's shim at class level
    warnings.warn("fit shim: prefer project.train()", UserWarning, stacklevel=2)
    return _fit(self, *args, **kwargs)

keras.Model.fit = fit
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")

def train():
    for _ in range(2):
        model.fit(ds, epochs=1, shuffle=True, verbose=0)  # FIT LINE

if "--check" in sys.argv:
    import gradmagic
    with gradmagic.check():
        train()
else:
    train()
print("DONE", flush=True)
'''
FIT_LINE = next(n for n, line in enumerate(SCRIPT.splitlines(), 1) if "# FIT LINE" in line)


def _run(args, script: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(extra_env or {}),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=script.parent,
                          timeout=300, check=False)


def _warnings(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stdout.splitlines() if line.startswith("WARNING ")]


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warn") / "train_warn.py"
    path.write_text(SCRIPT)
    return path


def test_warnings_point_at_the_users_line_with_and_without_gradmagic(script):
    plain = _run([str(script)], script)
    assert plain.returncode == 0 and "DONE" in plain.stdout, plain.stderr[-2000:]
    expected = _warnings(plain)
    assert f"WARNING train_warn.py:{FIT_LINE} UserWarning fit shim: prefer project.train()" in expected
    assert any("`shuffle=True` was passed" in line for line in expected)
    assert len(expected) == len(set(expected))  # shown once per location, as Python does

    checked = _run([str(script), "--check"], script)
    assert checked.returncode == 0 and "DONE" in checked.stdout, checked.stderr[-2000:]
    assert _warnings(checked) == expected

    cli = _run(["-m", "gradmagic", "check", str(script)], script)
    assert "DONE" in cli.stdout, cli.stderr[-2000:]
    assert _warnings(cli) == expected
    assert "session.py" not in cli.stdout + cli.stderr


def test_the_users_warning_filters_still_apply(script):
    """``-W error`` for the user's module raises at the user's line, under gradmagic too."""
    env = {"PYTHONWARNINGS": "error:fit shim:UserWarning:__main__"}
    plain = _run([str(script)], script, env)
    assert plain.returncode == 1 and "UserWarning: fit shim" in plain.stderr, plain.stderr[-2000:]
    cli = _run(["-m", "gradmagic", "check", str(script)], script, env)
    assert cli.returncode == 1, cli.stdout[-2000:] + cli.stderr[-2000:]
    assert "DONE" not in cli.stdout and "UserWarning" in cli.stdout + cli.stderr
