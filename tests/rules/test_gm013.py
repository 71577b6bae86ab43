"""GM013 optimizer-variable-mismatch: an optimizer applied to variables it was not built for."""

from helpers import assert_fix_verified, check_program, only

UNKNOWN = "This optimizer can only be called for the variables it was originally built with"


def test_one_adam_compiled_into_two_sequential_models():
    run = check_program("broken/gm013_shared_optimizer_two_sequential")
    report = run.report
    found = only(report, "GM013")
    assert (found.severity, found.line, found.layer) == ("error", 12, None)  # the second compile(optimizer=opt)
    assert found.message.startswith("the same optimizer `opt` is passed to the `compile` of two models")
    assert found.evidence["shared_name"] == "opt" and found.evidence["created_line"] == 8
    assert found.evidence["optimizer"] == "Adam" and found.evidence["first_fit_line"] == 13
    assert found.evidence["unknown_variable"].endswith("/kernel")
    assert found.evidence["exception_type"] == "ValueError" and UNKNOWN in found.evidence["exception_message"]
    assert [f.status for f in report.fits] == ["completed", "failed"]
    fix = found.fixes[0]
    assert (fix.id, fix.safety) == ("own-optimizer", "safe")
    assert "wide.compile(optimizer=keras.optimizers.Adam(1e-3), loss=\"mse\")\n" in fix.patched_source
    assert "small.compile(optimizer=opt, loss=\"mse\")\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM013")
    assert len(patched.report.fits) == 2
    assert not [f for f in patched.report.findings if f.severity == "error"], patched.report.codes()


def test_one_sgd_passed_positionally_to_functional_and_subclassed_models():
    run = check_program("broken/gm013_shared_optimizer_functional_subclassed")
    found = only(run.report, "GM013")
    assert (found.line, found.evidence["shared_name"], found.evidence["optimizer"]) == (27, "sgd", "SGD")
    assert found.evidence["models"] == ["functional", "head"]
    assert found.evidence["unknown_variable"].startswith("head/")
    assert ("head.compile(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), "
            "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n") in found.fixes[0].patched_source
    assert_fix_verified(run, "GM013")


def test_train_step_applies_one_optimizer_to_two_models():
    run = check_program("broken/gm013_gan_one_optimizer_two_models")
    found = only(run.report, "GM013")
    assert (found.severity, found.line) == ("error", 32)  # the second apply_gradients
    assert found.message == ("`self.d_optimizer` was built for the variables of its first update on line 28 and is "
                             "applied to other variables on line 32")
    assert found.evidence["apply_lines"] == [28, 32]
    assert found.evidence["unknown_variable"] == "sequential/g_out/kernel"
    assert run.report.fits[0].exception_line == 32
    fix = found.fixes[0]
    assert (fix.id, fix.safety) == ("own-optimizer", "review")
    assert "        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))\n" in fix.patched_source
    assert_fix_verified(run, "GM013")


def test_layer_added_after_the_first_fit():
    run = check_program("broken/gm013_layer_added_after_fit")
    found = only(run.report, "GM013")
    assert (found.line, found.evidence["added_line"], found.evidence["first_fit_line"]) == (11, 11, 10)
    assert "at its first `fit` (line 10)" in found.message
    assert found.fixes == [] and "compile the model again" in found.help


def test_two_models_with_their_own_optimizers_are_clean():
    run = check_program("healthy/two_models_own_optimizers")
    assert "GM013" not in run.report.codes(), run.report.codes()
    assert [f.status for f in run.report.fits] == ["completed", "completed"]


def test_explain_gm013():
    from gradmagic.cli import main

    assert main(["explain", "GM013"]) == 0
