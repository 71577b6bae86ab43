"""GM012 tape-misuse: a `GradientTape` asked for gradients it cannot give."""

from helpers import assert_fix_verified, check_program, only

NON_PERSISTENT = "A non-persistent GradientTape can only be used to compute one set of gradients"


def test_non_persistent_tape_asked_twice_in_train_step():
    run = check_program("broken/gm012_tape_used_twice")
    report = run.report
    found = only(report, "GM012")
    assert (found.severity, found.line, found.layer) == ("error", 26, None)
    assert found.message.startswith("the non-persistent tape `tape` (line 21) is asked for a second set of gradients")
    assert found.evidence["tape"] == "tape" and found.evidence["tape_line"] == 21
    assert found.evidence["gradient_calls"] == [25, 26]
    assert found.evidence["exception_type"] == "RuntimeError"
    assert NON_PERSISTENT in found.evidence["exception_message"]
    assert report.fits[0].status == "failed" and report.fits[0].exception_type == "RuntimeError"
    assert report.fits[0].exception_line == 26
    fix = found.fixes[0]
    assert (fix.id, fix.safety) == ("persistent-tape", "safe")
    assert "        with tf.GradientTape(persistent=True) as tape:\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM012")
    assert not [f for f in patched.report.findings if f.severity in ("error", "warning")], patched.report.codes()


def test_explicit_persistent_false_with_two_optimizers():
    run = check_program("broken/gm012_one_tape_two_losses")
    found = only(run.report, "GM012")
    assert (found.line, found.evidence["tape_line"], found.evidence["gradient_calls"]) == (30, 24, [29, 30])
    assert "with tf.GradientTape(persistent=True) as tape:" in found.fixes[0].patched_source
    assert "persistent=False" not in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM012")
    assert not {"GM001", "GM002"} & set(patched.report.codes())


def test_second_gradient_asked_of_the_wrong_tape():
    run = check_program("broken/gm012_gan_gradient_from_wrong_tape")
    report = run.report
    found = only(report, "GM012")
    assert (found.severity, found.line) == ("error", 33)
    assert found.message.startswith("`disc_tape.gradient` asks about a value computed on the tape `gen_tape`")
    assert found.evidence["recorded_on"] == "gen_tape" and found.evidence["recorded_on_line"] == 29
    assert found.evidence["recorded_lines"] == [30, 31]
    assert found.evidence["exception_type"] == "RuntimeError"  # the wrong tape was also used a second time
    fix = found.fixes[0]
    assert (fix.id, fix.safety) == ("use-recording-tape", "review")
    assert "        g_grads = gen_tape.gradient(g_loss, self.generator.trainable_weights)\n" in fix.patched_source
    assert "persistent" not in fix.patched_source  # gen_tape is asked once
    patched = assert_fix_verified(run, "GM012")
    assert not {"GM001", "GM002"} & set(patched.report.codes())


def test_tape_that_watches_nothing():
    run = check_program("broken/gm012_watch_nothing_functional")
    report = run.report
    found = only(report, "GM012")
    assert (found.severity, found.line) == ("error", 14)  # the `watch_accessed_variables=False` line
    assert "`watch_accessed_variables=False` and never told what to watch" in found.message
    assert found.evidence["tape_line"] == 13
    assert (found.evidence["variables_without_gradient"], found.evidence["trainable_variables"]) == (4, 4)
    assert report.by_code("GM001")[0].caused_by == report.findings.index(found)
    fix = found.fixes[0]
    assert (fix.id, fix.safety) == ("watch-accessed-variables", "safe")
    assert "        tape = tf.GradientTape()\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM012")
    assert "GM001" not in patched.report.codes()


def test_forward_pass_recorded_on_another_tape():
    run = check_program("broken/gm012_forward_on_input_tape")
    report = run.report
    found = only(report, "GM012")
    assert (found.severity, found.line) == ("error", 25)
    assert found.evidence["recorded_on"] == "input_tape" and found.evidence["recorded_lines"] == [22]
    assert found.evidence["variables_without_gradient"] == 2
    assert "GM005" not in report.codes()  # every line on the path ran inside some tape block
    assert report.by_code("GM001")[0].caused_by == report.findings.index(found)
    assert found.fixes == [] and "inside the block of `tape` too" in found.help


def test_persistent_tape_used_twice_is_clean():
    run = check_program("healthy/persistent_tape_used_twice")
    assert "GM012" not in run.report.codes(), run.report.codes()
    assert run.report.fits[0].status == "completed"


def test_explain_gm012():
    from gradmagic.cli import main

    assert main(["explain", "GM012"]) == 0


def test_unexplained_failure_inside_train_step_keeps_the_users_line():
    """A step error no rule explains still reaches the report: exception and the user's innermost line."""
    import json

    from helpers import check_source, program

    from gradmagic.views.text import render_report

    path = program("broken/gm012_tape_used_twice")
    source = path.read_text().replace(
        "        grads = tape.gradient(loss, self.trainable_variables)\n",
        "        grads = tape.gradient(loss, self.trainable_variables)\n"
        "        grads = [tf.reshape(g, (3, 5)) for g in grads]\n", 1)
    source = source.replace("        reg_grads = tape.gradient(reg, self.trainable_variables)\n", "")
    source = source.replace("        grads = [g + 0.01 * r for g, r in zip(grads, reg_grads)]\n", "")
    run = check_source(source, str(path.with_name(path.stem + "_reshape.py")))
    report = run.report
    assert "GM012" not in report.codes()
    fit = report.fits[0]
    assert fit.status == "failed" and fit.exception_type and fit.exception_line == 26
    assert json.loads(report.to_json())["fits"][0]["exception_line"] == 26
    text = render_report(report)
    assert f"failed with {fit.exception_type}" in text and "(raised at line 26)" in text
