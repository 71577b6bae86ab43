from helpers import assert_fix_verified, check_program, only


def test_argmax_loss_names_the_op_and_line():
    run = check_program("broken/gm003_argmax_loss")
    report = run.report
    cut = only(report, "GM003")
    assert cut.severity == "error"
    assert cut.line == 11
    assert cut.layer is None
    assert cut.evidence["op"] == "ArgMax"
    assert cut.evidence["output_dtype"] == "int64"
    no_grad = only(report, "GM001")
    assert no_grad.severity == "error"
    assert no_grad.line == 11
    assert no_grad.evidence == {"trainable_variables": 4, "variables_without_gradient": 4, "fits": [0]}
    assert report.fits[0].status == "failed"
    assert report.fits[0].exception_type == "ValueError"
    assert report.fits[0].line == 21
    fix = cut.fixes[0]
    assert fix.safety == "review"
    assert 'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")' in fix.patched_source
    patched = assert_fix_verified(run, "GM003")
    assert "GM001" not in patched.report.codes()


def test_round_in_a_custom_layer_cuts_the_layers_before_it():
    run = check_program("broken/gm003_round_layer")
    cut = only(run.report, "GM003")
    assert (cut.line, cut.layer, cut.evidence["op"], cut.evidence["reason"]) == (12, "quantize", "Round", "no-gradient")
    partial = only(run.report, "GM002")
    assert partial.severity == "warning"
    assert partial.layer == "encoder"
    assert partial.evidence["layers_without_gradient"] == ["encoder"]
    assert partial.evidence["trainable_variables"] == 4
    assert "GM001" not in run.report.codes()
    assert run.report.fits[0].status == "completed"
    fix = cut.fixes[0]
    assert fix.id == "straight-through"  # same values forward, the identity gradient backward
    assert "return ((inputs * 4.0) + tf.stop_gradient(tf.round(inputs * 4.0) - (inputs * 4.0))) / 4.0" \
        in fix.patched_source
    assert "return (inputs * 4.0) / 4.0" in cut.fixes[1].patched_source
    assert only(run.report, "GM002").fixes[0] == fix
    patched = assert_fix_verified(run, "GM002")
    assert "GM003" not in patched.report.codes()


def test_stop_gradient_branch_is_partial():
    run = check_program("broken/gm002_stop_gradient_branch")
    partial = only(run.report, "GM002")
    assert (partial.line, partial.layer) == (12, "right")
    assert partial.evidence["variables_without_gradient"] == ["right/kernel", "right/bias"]
    cut = only(run.report, "GM003")
    assert (cut.line, cut.layer, cut.evidence["op"]) == (12, "freeze_right", "StopGradient")
    assert "lambda t: t," in cut.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM002")
    assert "GM003" not in patched.report.codes()


def test_custom_train_step_round_raises_no_gradients():
    run = check_program("broken/gm001_train_step_round")
    no_grad = only(run.report, "GM001")
    assert no_grad.line == 24
    assert no_grad.evidence["variables_without_gradient"] == 4
    cut = only(run.report, "GM003")
    assert (cut.line, cut.evidence["op"]) == (24, "Round")
    assert [fix.id for fix in cut.fixes] == ["unwrap-op"]
    assert "self.loss_fn(labels, probabilities)" in cut.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM001")
    assert patched.report.codes() == []
