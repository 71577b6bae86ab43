"""The recorder sees every optimizer a train step applies: GANs, optimizers made inside the model,
LossScaleOptimizer, applies inside a ``tf.cond``; one row per train step; weights untouched."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import PROGRAMS, check_source, run_plain

from gradmagic.views.widget import training_payload

GAN = PROGRAMS / "healthy" / "gan_two_optimizers.py"
EXPLODING = PROGRAMS / "broken" / "gm302_gan_discriminator_lr.py"
DEAD = PROGRAMS / "broken" / "gm304_gan_dead_generator.py"
LAYERS = ["g_hidden", "g_out", "d_hidden", "d_out"]


def _series(history: dict, name: str) -> np.ndarray:
    """A recorded series as the report keeps it (5 significant digits: compare with rtol=1e-4)."""
    return np.array([np.nan if v is None else v for v in history["series"][name]["mean"]], np.float64)


def _module_level_gan(d_optimizer: str, scaled: bool = False) -> str:
    """The GAN of the GM302 program (generator and discriminator built at module level) with
    another discriminator optimizer; ``scaled``: its loss goes through ``scale_loss`` in the tape."""
    source = EXPLODING.read_text().replace("keras.optimizers.SGD(learning_rate=50.0)", d_optimizer)
    if scaled:
        source = source.replace(
            "            d_loss = self.bce(labels, scores)\n",
            "            d_loss = self.bce(labels, scores)\n            scaled = self.d_optimizer.scale_loss(d_loss)\n")
        source = source.replace("tape.gradient(d_loss, d_vars)", "tape.gradient(scaled, d_vars)")
    return source


@pytest.fixture(scope="module")
def gan():
    run = check_source(GAN.read_text(), str(GAN))
    assert run.error is None, repr(run.error)
    return run


def test_both_models_of_a_gan_are_recorded_at_every_train_step(gan):
    """Two optimizers (one made in the model's ``__init__``, one passed to ``compile``), one row per step."""
    history = gan.report.history["fits"][0]
    logged = gan.namespace["steps"].logs  # what the train step itself computed, batch by batch
    assert history["steps"] == len(logged) == 8 and history["resolution"] == 1
    assert history["layers"] == LAYERS  # forward order inside each sub-model
    for layer in LAYERS:
        norms = _series(history, f"grad_norm/{layer}")
        np.testing.assert_allclose(norms, np.sqrt([step[f"squares_{layer}"] for step in logged]), rtol=1e-4,
                                   err_msg=layer)
        assert _series(history, f"update_ratio/{layer}").min() > 0  # weights read before and after each apply
        assert (_series(history, f"zero_grad_units/{layer}") == 0).all()
    total = np.sqrt(sum(_series(history, f"grad_norm/{layer}") ** 2 for layer in LAYERS))
    np.testing.assert_allclose(_series(history, "grad_norm"), total, rtol=1e-4)
    # the loss column: the sum of the distinct losses the step's optimizers descended
    np.testing.assert_allclose(_series(history, "loss"), [s["d_loss"] + s["g_loss"] for s in logged], rtol=1e-4)
    assert history["loss_parts"] == 2
    assert [(o["class"], o["learning_rate"], o["layers"], o["variables"]) for o in history["optimizers"]] == [
        ("Adam", 0.001, ["d_hidden", "d_out"], 4), ("Adam", 0.001, ["g_hidden", "g_out"], 4)]
    assert not [f.code for f in gan.report.findings if f.severity in ("error", "warning")]


def test_the_training_tab_shows_a_custom_train_step_run(gan):
    """The panel's Training tab reads ``Report.history``: loss, total and per-layer gradient norms."""
    again = type(gan.report).from_json(gan.report.to_json())
    payload = training_payload(again.history, again.findings)
    assert payload["loss"]["steps"] == list(range(1, 9))
    assert payload["total"]["steps"] == list(range(1, 9))
    assert list(payload["layers"]) == LAYERS
    assert all(len(line["values"]) == 8 and None not in line["values"] for line in payload["layers"].values())
    assert again.history["fits"][0]["epoch_ends"] == [4, 8]


def test_gan_weights_are_bitwise_identical_with_and_without_gradmagic(gan):
    plain = run_plain(GAN.read_text(), str(GAN))
    for name in ("generator", "discriminator"):
        before = getattr(plain["model"], name).get_weights()
        after = getattr(gan.namespace["model"], name).get_weights()
        for expected, found in zip(before, after, strict=True):
            np.testing.assert_array_equal(expected, found)
    for name in ("d_optimizer", "g_optimizer"):
        before = getattr(plain["model"], name).variables
        after = getattr(gan.namespace["model"], name).variables
        for expected, found in zip(before, after, strict=True):
            np.testing.assert_array_equal(np.asarray(expected), np.asarray(found))
    assert [s["d_loss"] for s in plain["steps"].logs] == [s["d_loss"] for s in gan.namespace["steps"].logs]
    assert plain["history"].history == gan.namespace["history"].history


def test_exploding_discriminator_is_gm302_at_its_optimizer():
    """A learning rate of 50 on the discriminator's SGD: its gradients grow ten-trillionfold."""
    run = check_source(EXPLODING.read_text(), str(EXPLODING))
    found = [f for f in run.report.findings if f.code == "GM302"]
    assert len(found) == 1, run.report.codes()
    found = found[0]
    assert (found.line, found.layer) == (56, "d_hidden")  # `d_optimizer=keras.optimizers.SGD(learning_rate=50.0)`
    assert found.evidence["kind"] == "growth" and found.evidence["growth"] > 1e6
    assert found.evidence["learning_rate"] == 50.0
    clip = next(fix for fix in found.fixes if fix.id == "clipnorm")
    assert "d_optimizer=keras.optimizers.SGD(learning_rate=50.0, clipnorm=1.0)," in clip.patched_source
    history = run.report.history["fits"][0]
    assert history["steps"] == 16
    assert np.nanmax(_series(history, "grad_norm/d_hidden")) > 1e9
    assert _series(history, "grad_norm/d_hidden")[0] < 10
    plain = run_plain(EXPLODING.read_text(), str(EXPLODING))  # even a run that blows up trains the same
    for expected, found_weights in zip(plain["model"].get_weights(), run.namespace["model"].get_weights(), strict=True):
        np.testing.assert_array_equal(expected, found_weights)


def test_dead_generator_units_are_gm304_from_the_train_step():
    """A bias of -10 in the generator's ReLU layer: no unit fires, no bias gradient reaches any."""
    run = check_source(DEAD.read_text(), str(DEAD))
    found = [f for f in run.report.findings if f.code == "GM304"]
    assert len(found) == 1, run.report.codes()
    found = found[0]
    assert (found.line, found.layer, found.step) == (12, "g_hidden", 1)
    evidence = found.evidence
    assert (evidence["dead_units"], evidence["units"], evidence["dead_fraction"]) == (8, 8, 1.0)
    assert evidence["measured_by"] == "gradients" and evidence["initial_dead_fraction"] == 1.0
    assert (_series(run.report.history["fits"][0], "zero_grad_units/g_hidden") == 1.0).all()
    assert [fix.id for fix in found.fixes] == ["leaky-relu"]
    patched = check_source(found.fixes[0].patched_source, str(DEAD.with_name("gm304_gan_dead_generator_patched.py")))
    assert patched.error is None and "GM304" not in patched.report.codes()
    assert patched.report.history["fits"][0]["steps"] == 16


def test_loss_scale_optimizer_in_a_train_step_is_recorded_once_and_unscaled():
    """``LossScaleOptimizer`` applies through its inner optimizer: one record, gradients and loss
    divided by the scale (2**15 is exact in float32, so they equal those of the plain run)."""
    plain = check_source(_module_level_gan("keras.optimizers.Adam(learning_rate=1e-3)", scaled=True), "/tmp/gm_lso_a.py")
    scaled = check_source(_module_level_gan(
        "keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(learning_rate=1e-3))", scaled=True),
        "/tmp/gm_lso_b.py")
    assert plain.error is None and scaled.error is None, (plain.error, scaled.error)
    a, b = plain.report.history["fits"][0], scaled.report.history["fits"][0]
    assert a["steps"] == b["steps"] == 16
    assert [o["class"] for o in b["optimizers"]] == ["Adam", "Adam"] and b["optimizers"][0]["loss_scale"] is True
    for name in ["loss", "grad_norm"] + [f"grad_norm/{layer}" for layer in LAYERS]:
        np.testing.assert_allclose(_series(b, name), _series(a, name), rtol=1e-4, err_msg=name)


def test_an_apply_inside_tf_cond_is_recorded_on_the_steps_it_ran():
    """The discriminator trains every other step (``tf.cond``): its columns are there only then."""
    source = GAN.read_text().replace(
        "        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))\n",
        "        tf.cond(self.g_optimizer.iterations % 2 == 0,\n"
        "                lambda: self.d_optimizer.apply_gradients(zip(d_grads, d_vars)),\n"
        "                lambda: self.d_optimizer.iterations)\n")
    run = check_source(source, "/tmp/gm_cond_apply.py")
    assert run.error is None, repr(run.error)
    history = run.report.history["fits"][0]
    logged = run.namespace["steps"].logs
    assert history["steps"] == 8
    d_norms = _series(history, "grad_norm/d_hidden")
    assert np.isnan(d_norms[1::2]).all()  # steps 2, 4, ...: the discriminator did not train
    np.testing.assert_allclose(d_norms[::2], np.sqrt([s["squares_d_hidden"] for s in logged[::2]]), rtol=1e-4)
    np.testing.assert_allclose(_series(history, "grad_norm/g_hidden"),
                               np.sqrt([s["squares_g_hidden"] for s in logged]), rtol=1e-4)
    np.testing.assert_allclose(_series(history, "loss"), [s["g_loss"] for s in logged], rtol=1e-4)


def test_cli_json_carries_the_custom_train_step_history(tmp_path):
    out = tmp_path / "report.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "gradmagic", "check", str(DEAD), "--json", str(out)],
                          check=False, capture_output=True, text=True, timeout=300, env=env,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert [(f["code"], f["line"], f["layer"]) for f in report["findings"] if f["code"] == "GM304"] == [
        ("GM304", 12, "g_hidden")]
    fit = report["history"]["fits"][0]
    assert fit["steps"] == 16 and fit["layers"] == LAYERS and fit["loss_parts"] == 2
    assert len(fit["series"]["grad_norm/d_hidden"]["mean"]) == 16
