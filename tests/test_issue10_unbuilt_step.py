"""Issue 10: a subclassed model with its own ``train_step`` and no weights before ``fit`` is traced by
Keras only, as often as without gradmagic; the recorder starts inside that trace and still records
every step (the transparency suite runs the same program: weights, output, files)."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
from helpers import PROGRAMS, check_source, run_plain

import gradmagic

PROGRAM = PROGRAMS / "healthy" / "subclassed_step_built_by_fit.py"
STEPS = 15  # 40 rows in batches of 8, 3 epochs
COMPILE = "model.compile(optimizer=keras.optimizers.Adam(0.01))"
ONEDNN = ("TF_ENABLE_ONEDNN_OPTS",)  # the subprocess runs on the same CPU kernels as this test


def test_the_step_is_traced_as_often_with_gradmagic_as_without():
    source = PROGRAM.read_text()
    plain = run_plain(source, str(PROGRAM))
    checked = check_source(source, str(PROGRAM))
    assert checked.error is None
    assert plain["step_traces"], "the program traced no train_step"
    assert len(checked.namespace["step_traces"]) == len(plain["step_traces"])
    assert len(checked.namespace["call_traces"]) == len(plain["call_traces"])
    for before, after in zip(plain["model"].get_weights(), checked.namespace["model"].get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_the_recorder_sees_the_weights_keras_makes_in_its_own_trace():
    """No probe builds the model first: the per-step statistics come from the recorder alone."""
    source = PROGRAM.read_text()
    keras.backend.clear_session()
    namespace = {"__name__": "__main__", "__file__": str(PROGRAM), "__builtins__": builtins}
    with gradmagic.check(source, str(PROGRAM), probe=False, options={"record_interval": 1}) as report:
        exec(compile(source, str(PROGRAM), "exec"), namespace)
    model = namespace["model"]
    (fit,) = report.history["fits"]
    assert fit["steps"] == STEPS and fit["dropped_steps"] == 0
    assert fit["layers"] == [model.hidden.name, model.head.name]
    assert fit["optimizer"]["class"] == "Adam" and fit["optimizer"]["learning_rate"] == 0.01
    assert len(fit["bucket_steps"]) == STEPS  # one bucket per step
    loss = fit["series"]["loss"]["mean"]
    assert all(value is not None for value in loss) and loss[-1] < loss[0]
    for layer in fit["layers"]:
        norms = fit["series"][f"grad_norm/{layer}"]["mean"]
        assert len(norms) == STEPS and all(value is not None and value > 0 for value in norms)
        assert all(value is not None for value in fit["series"][f"weight_norm/{layer}"]["mean"])


def test_an_eager_step_runs_as_often_and_its_gradients_are_read_from_its_own_tape():
    """``run_eagerly=True``: every step runs the Python step; gradmagic adds no run and, reading the
    eager tape's gradients, reports no missing gradient."""
    source = PROGRAM.read_text().replace(COMPILE, COMPILE[:-1] + ", run_eagerly=True)")
    assert source != PROGRAM.read_text()
    plain = run_plain(source, str(PROGRAM))
    checked = check_source(source, str(PROGRAM))
    assert checked.error is None
    assert len(plain["step_traces"]) == STEPS
    assert len(checked.namespace["step_traces"]) == STEPS
    assert len(checked.namespace["call_traces"]) == len(plain["call_traces"])
    assert checked.report.codes() == []
    assert checked.report.history["fits"][0]["steps"] == STEPS


MIRRORED = r'''
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, sys.argv[1])
from helpers import check_source, run_plain
source = open(sys.argv[2]).read().replace(
    "model = Subclassed()\n" + sys.argv[3] + "\n",
    "strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])\nwith strategy.scope():\n"
    "    model = Subclassed()\n    " + sys.argv[3] + "\n")
assert "MirroredStrategy" in source
plain = run_plain(source, sys.argv[2])
checked = check_source(source, sys.argv[2])
same = all(np.array_equal(a, b) for a, b in zip(plain["model"].get_weights(), checked.namespace["model"].get_weights(),
                                                strict=True))
fit = checked.report.history["fits"][0]
print(json.dumps({"same_weights": same, "error": repr(checked.error), "steps": fit["steps"], "layers": fit["layers"],
                  "traces": [len(plain["step_traces"]), len(checked.namespace["step_traces"])],
                  "grad_norm": fit["series"]["grad_norm"]["mean"]}))
'''


def test_a_mirrored_strategy_builds_the_model_before_the_trace_and_the_recorder_stays_one_buffer(tmp_path):
    """Under ``MirroredStrategy`` Keras builds the model before tracing; the recorder's buffer, made at the
    step's first ``apply`` inside a replica, is one plain variable, not a mirrored one."""
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED)
    tests = Path(__file__).parent
    done = subprocess.run([sys.executable, str(script), str(tests), str(PROGRAM), COMPILE], check=False,
                          capture_output=True, text=True, timeout=300, cwd=tests.parent,
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin",
                               **{name: os.environ[name] for name in ONEDNN if name in os.environ}})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] == "None"
    assert result["same_weights"] is True
    assert result["traces"][0] == result["traces"][1]
    assert result["steps"] == STEPS and len(result["layers"]) == 2
    assert all(value is not None and value > 0 for value in result["grad_norm"])
