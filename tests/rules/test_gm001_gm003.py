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
    assert no_grad.line == 11
    assert no_grad.evidence == {"trainable_variables": 4, "variables_without_gradient": 4}
    assert report.fits[0].status == "failed"
    assert report.fits[0].exception_type == "ValueError"
    assert report.fits[0].line == 21
    patched = assert_fix_verified(run, "GM003")
    assert "GM001" not in patched.report.codes()
    assert 'loss="sparse_categorical_crossentropy"' in report.by_code("GM003")[0].fixes[0].patched_source
