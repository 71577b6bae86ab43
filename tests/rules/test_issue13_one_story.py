"""Issue 13: a fix is chosen with all the evidence and its re-check brings nothing new; a symptom
whose cause is reported, or a slow start, is not a finding of its own."""

from __future__ import annotations

from helpers import assert_fix_verified, check_program, check_source, program
from preflight_support import assert_trains

from gradmagic.report.model import Finding
from gradmagic.rules.registry import SUPERSEDED_BY, drop_superseded


def test_gm101_on_continuous_targets_offers_a_regression_head_not_the_bounded_one():
    run = check_program("broken/gen_continuous_targets_bounded_head")
    found = run.report.by_code("GM101")[0]
    assert (found.line, found.layer) == (12, "dense_1")
    assert found.evidence["target_encoding"] == "continuous"
    fix = found.fixes[0]
    assert 'keras.layers.Dense(6, activation="linear"),' in fix.patched_source
    patched = assert_fix_verified(run, "GM101")  # clean of GM101, and no GM106 or any other new problem
    assert "GM106" not in patched.report.codes()
    assert_trains(patched)


def test_two_epochs_of_a_slow_start_are_not_a_plateau_three_flat_epochs_are():
    source = program("broken/gen_slow_start").read_text()
    two = check_program("broken/gen_slow_start")
    losses = two.namespace["history"].history["loss"]
    assert abs(losses[-1] - losses[0]) / losses[0] < 0.01  # flat: the old rule fired on this
    assert "GM309" not in two.report.codes()
    three = check_source(source.replace("epochs=2", "epochs=3"), "/tmp/gm_slow_start_three.py")
    found = three.report.by_code("GM309")
    assert len(found) == 1 and found[0].evidence["steps"] == 96


def test_a_layer_that_saturates_late_while_the_loss_keeps_falling_is_not_reported():
    run = check_program("broken/gen_late_saturation")
    recording = run.report.fits[0]
    assert recording.status == "completed"
    losses = run.namespace["history"].history["loss"]
    assert losses[-1] < 0.75 * losses[20]  # it kept learning after the first epochs (both CPU kernels)
    assert "GM305" not in run.report.codes()


def _finding(code: str, line: int = 5) -> Finding:
    return Finding(code=code, name=code.lower(), severity="warning", message=code, line=line)


def test_exploding_gradients_under_unscaled_targets_and_a_low_rate_beside_them_are_dropped():
    kept = drop_superseded([_finding("GM204"), _finding("GM302"), _finding("GM308"), _finding("GM309")])
    assert [f.code for f in kept] == ["GM204", "GM309"]
    kept = drop_superseded([_finding("GM302"), _finding("GM308")])
    assert [f.code for f in kept] == ["GM302"]  # "raise the learning rate" beside exploding gradients
    kept = drop_superseded([_finding("GM308"), _finding("GM309")])
    assert [f.code for f in kept] == ["GM308", "GM309"]


def test_a_line_scoped_supersession_needs_the_same_line():
    assert ("GM103", "line") in SUPERSEDED_BY["GM106"]
    assert [f.code for f in drop_superseded([_finding("GM103", 4), _finding("GM106", 9)])] == ["GM103", "GM106"]
    assert [f.code for f in drop_superseded([_finding("GM103", 4), _finding("GM106", 4)])] == ["GM103"]


def test_gm004_keeps_the_whole_rest_of_the_function_in_tensorflow_so_the_fix_is_verified():
    source = (
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "import keras\n"
        "keras.utils.set_random_seed(0)\n"
        "x = np.random.rand(64, 4).astype('float32'); y = np.random.rand(64, 1).astype('float32')\n"
        "def squared_error(y_true, y_pred):\n"
        "    error = y_true.numpy() - y_pred.numpy()\n"
        "    return tf.constant(np.mean(error ** 2))\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
        "model.compile(optimizer='adam', loss=squared_error)\n"
        "history = model.fit(x, y, epochs=2, verbose=0)\n")
    run = check_source(source, "/tmp/gm004_rest_of_function.py")
    found = run.report.by_code("GM004")[0]
    assert found.line == 7
    fix = found.fixes[0]
    assert "    error = y_true - y_pred\n    return keras.ops.mean(error ** 2)\n" in fix.patched_source
    assert_trains(assert_fix_verified(run, "GM004"))  # the line's own fix alone would fail on line 8 next
