"""GM005 outside-tape: the forward pass or part of the loss computed outside the `GradientTape`."""

from helpers import assert_fix_verified, check_program, check_source, only, program


def test_sign_applied_after_the_tape_block():
    run = check_program("broken/gm005_loss_sign_after_tape")
    report = run.report
    found = only(report, "GM005")
    assert (found.severity, found.line, found.layer) == ("error", 24, None)
    assert found.evidence["op"] == "Neg"
    assert found.evidence["position"] == "after"
    assert found.evidence["tape_block"] == [21, 23]
    assert found.evidence["outside_lines"] == [24]
    assert (found.evidence["variables_without_gradient"], found.evidence["trainable_variables"]) == (4, 4)
    assert found.message.startswith("`loss = -loss` runs after the `GradientTape` block ends")
    symptom = only(report, "GM001")
    assert symptom.line == 24
    assert report.fits[0].status == "failed" and "No gradients provided" in report.fits[0].exception_message
    fix = found.fixes[0]
    assert fix.safety == "safe"
    assert ("            loss = keras.ops.mean(keras.ops.square(targets - predictions))\n"
            "            loss = -loss  # maximise the negative error\n"
            "        grads = tape.gradient(loss, self.trainable_variables)\n") in fix.patched_source
    patched = assert_fix_verified(run, "GM005")
    assert "GM001" not in patched.report.codes()


def test_scale_applied_after_the_tape_block():
    path = program("broken/gm005_loss_sign_after_tape")
    source = path.read_text().replace("loss = -loss  # maximise the negative error", "loss = loss * 0.5")
    run = check_source(source, str(path.with_name(path.stem + "_variant.py")))
    found = only(run.report, "GM005")
    assert (found.severity, found.line, found.evidence["op"]) == ("error", 24, "Mul")
    assert "            loss = loss * 0.5\n" in found.fixes[0].patched_source


def test_forward_pass_before_the_tape_block():
    run = check_program("broken/gm005_forward_before_tape")
    found = only(run.report, "GM005")
    assert (found.severity, found.line, found.layer) == ("error", 22, None)
    assert found.evidence["position"] == "before"
    assert found.evidence["tape_block"] == [23, 24]
    assert found.evidence["variables_without_gradient"] == 4
    assert only(run.report, "GM001").line == 22
    assert ("        with tf.GradientTape() as tape:\n"
            "            predictions = self(features, training=True)\n"
            "            loss = self.loss_fn(targets, predictions)\n") in found.fixes[0].patched_source
    assert_fix_verified(run, "GM005")


def test_penalty_computed_before_the_tape_is_silently_dropped():
    run = check_program("broken/gm005_penalty_before_tape")
    report = run.report
    found = only(report, "GM005")
    assert (found.severity, found.line, found.layer) == ("warning", 21, "dense")
    assert found.evidence["variables_missing_a_term"] == 1
    assert "variables_without_gradient" not in found.evidence
    assert "GM001" not in report.codes() and "GM002" not in report.codes()
    assert report.fits[0].status == "completed"
    assert found.fixes[0].safety == "safe"
    assert_fix_verified(run, "GM005")


def test_gan_generator_output_reused_from_before_the_generator_tape():
    run = check_program("broken/gm005_gan_reused_fake")
    report = run.report
    found = only(report, "GM005")
    assert (found.severity, found.line, found.layer) == ("error", 24, "g_out")
    assert found.evidence["tape_block"] == [31, 32]  # the generator's tape, not the discriminator's
    assert (found.evidence["variables_without_gradient"], found.evidence["trainable_variables"]) == (2, 4)
    assert found.fixes == []  # the discriminator step between them needs the value too
    assert "again inside the `GradientTape` block at line 31" in found.help
    assert only(report, "GM002").layer == "g_out"


def test_gan_that_calls_the_generator_inside_each_tape_is_clean():
    path = program("broken/gm005_gan_reused_fake")
    source = path.read_text().replace("self.discriminator(fake))", "self.discriminator(self.generator(noise)))")
    run = check_source(source, str(path.with_name(path.stem + "_variant.py")))
    assert "GM005" not in run.report.codes(), run.report.codes()
    assert run.report.fits[0].status == "completed"
