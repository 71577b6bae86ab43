"""GM009 frozen-weights: nothing trainable, the Keras 3 GAN recipe, unfreezing after the trace."""

import keras
import numpy as np
from helpers import PROGRAMS, assert_fix_verified, check_program, check_source, only, run_plain, weights_of

from gradmagic.core import keras_adapter


def test_gan_recipe_discriminator_frozen_at_its_first_train_on_batch():
    run = check_program("broken/gm009_gan_frozen_discriminator")
    finding = only(run.report, "GM009")
    assert finding.severity == "error"
    assert finding.line == 13  # `discriminator.trainable = False`, meant for the GAN, also freezes its own step (line 26)
    assert finding.layer == "discriminator"
    assert finding.evidence["frozen_inside"] == ["gan"]
    assert finding.evidence["weights"] == 2 and finding.evidence["parameters"] == 5
    assert finding.evidence["trainable_weights"] == 0
    assert [fit.method for fit in run.report.fits] == ["train_on_batch", "train_on_batch"]
    fix = finding.fixes[0]
    assert "    discriminator.trainable = True\n    d_loss = discriminator.train_on_batch(batch, labels)\n" \
           "    discriminator.trainable = False\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM009")
    serious = [f.code for f in patched.report.findings if f.severity in ("error", "warning")]
    assert serious == []
    before = run.namespace["discriminator"].get_weights()[0]
    after = patched.namespace["discriminator"].get_weights()[0]
    assert np.any(before != after)  # now the discriminator learns


def test_every_layer_frozen_before_fit():
    run = check_program("broken/gm009_frozen_model")
    finding = only(run.report, "GM009")
    assert finding.severity == "error"
    assert finding.line == 14
    assert finding.layer == "dense"
    assert finding.evidence["frozen_layers"] == ["dense", "dense_1"]
    assert (finding.evidence["weights"], finding.evidence["parameters"]) == (4, 67)
    assert "frozen_inside" not in finding.evidence
    assert "layer.trainable = True" in finding.fixes[0].patched_source
    assert_fix_verified(run, "GM009")


def test_unfreezing_after_the_first_fit_needs_a_new_compile():
    run = check_program("broken/gm009_unfreeze_without_recompile")
    finding = only(run.report, "GM009")
    assert finding.severity == "warning"
    assert finding.line == 15
    assert finding.layer == "base"
    assert finding.evidence["traced_at_line"] == 13
    assert (finding.evidence["trainable_when_traced"], finding.evidence["trainable_now"]) == (2, 4)
    assert finding.evidence["variables_not_updated"] == ["sequential/base/kernel", "sequential/base/bias"]
    fix = finding.fixes[0]
    assert "base.trainable = True\nmodel.compile(optimizer=\"adam\"" in fix.patched_source
    patched = assert_fix_verified(run, "GM009")
    assert np.any(patched.namespace["base"].get_weights()[0] != run.namespace["base"].get_weights()[0])


def test_correct_trainable_toggling_gan_is_clean_and_untouched():
    path = PROGRAMS / "healthy" / "gan_toggle_trainable.py"
    plain = run_plain(path.read_text(), str(path))
    run = check_program("healthy/gan_toggle_trainable")
    assert run.error is None
    assert [fit.status for fit in run.report.fits] == ["completed", "completed"]
    assert [f.code for f in run.report.findings if f.severity in ("error", "warning")] == []
    for name in ("discriminator", "generator"):
        for before, after in zip(weights_of(plain, name), weights_of(run.namespace, name), strict=True):
            np.testing.assert_array_equal(before, after)


def test_keras_adapter_train_function_identity_follows_compile():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert keras_adapter.train_function_id(model) is None
    model.train_on_batch(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"))
    made = keras_adapter.train_function_id(model)
    assert made is not None
    model.train_on_batch(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"))
    assert keras_adapter.train_function_id(model) == made
    model.compile(optimizer="sgd", loss="mse")
    assert keras_adapter.train_function_id(model) is None


def test_custom_train_step_gan_is_clean_and_untouched():
    path = PROGRAMS / "healthy" / "gan_alternating.py"
    source = path.read_text()
    plain = run_plain(source, str(path))
    checked = check_source(source, str(path))
    assert checked.error is None
    assert [f.code for f in checked.report.findings if f.severity in ("error", "warning")] == []
    for before, after in zip(weights_of(plain), weights_of(checked.namespace), strict=True):
        np.testing.assert_array_equal(before, after)


def test_transfer_learning_with_a_frozen_base_is_not_reported():
    source = """
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 4).astype("float32"); y = np.random.randint(0, 3, size=(64,))
base = keras.layers.Dense(8, activation="relu", name="base")
model = keras.Sequential([keras.Input((4,)), base, keras.layers.Dense(3, name="head")])
base.trainable = False
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
base.trainable = True
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
"""
    run = check_source(source, "/tmp/gm009_transfer.py")
    assert len(run.report.fits) == 2
    assert "GM009" not in run.report.codes()
