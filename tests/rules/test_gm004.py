"""GM004 leaves-tensorflow: `.numpy()`, NumPy calls, `float()` and `tf.numpy_function` in a loss or `call`."""

from helpers import assert_fix_verified, check_program, only

from gradmagic.cli import main


def test_numpy_mean_in_a_compiled_loss():
    run = check_program("broken/gm004_numpy_mean_loss")
    report = run.report
    found = only(report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 11, None)
    assert found.evidence["construct"] == "np.mean"
    assert found.evidence["function"] == "squared_error"
    assert found.evidence["where"] == "loss"
    assert found.evidence["exception_type"] == "NotImplementedError"
    assert found.evidence["exception_message"].startswith("Cannot convert a symbolic tf.Tensor")
    assert report.fits[0].status == "failed" and report.fits[0].exception_type == "NotImplementedError"
    assert "GM001" not in report.codes()
    fix = found.fixes[0]
    assert fix.safety == "safe"
    assert "    return keras.ops.mean(keras.ops.square(y_true - y_pred))\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM004")
    assert patched.report.findings == [] or all(f.severity != "error" for f in patched.report.findings)


def test_numpy_method_in_a_custom_train_step():
    run = check_program("broken/gm004_numpy_in_train_step")
    found = only(run.report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 23, None)
    assert found.evidence["construct"] == ".numpy()"
    assert found.evidence["where"] == "train_step"
    assert found.evidence["exception_type"] == "AttributeError"
    assert found.evidence["exception_message"] == "'SymbolicTensor' object has no attribute 'numpy'"
    assert found.fixes[0].safety == "safe"
    assert "loss = tf.reduce_mean(tf.square(targets - predictions))\n" in found.fixes[0].patched_source
    assert_fix_verified(run, "GM004")


def test_float_in_a_subclassed_call_names_the_model():
    run = check_program("broken/gm004_float_in_call")
    found = only(run.report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 17, "regressor")
    assert found.evidence["construct"] == "float()"
    assert found.evidence["where"] == "call"
    assert found.evidence["exception_type"] == "TypeError"
    assert "'SymbolicTensor'" in found.evidence["exception_message"]
    assert found.fixes[0].safety == "review"
    assert "        scale = tf.reduce_max(inputs)\n" in found.fixes[0].patched_source
    assert_fix_verified(run, "GM004")


def test_numpy_function_in_a_layer_cuts_the_layers_before_it():
    run = check_program("broken/gm004_numpy_function_layer")
    report = run.report
    found = only(report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 12, "squash")
    assert found.evidence["construct"] == "tf.numpy_function"
    assert found.evidence["op"] == "PyFunc"
    assert found.evidence["wrapped"] == "tanh"
    assert (found.evidence["variables_without_gradient"], found.evidence["trainable_variables"]) == (2, 4)
    partial = only(report, "GM002")
    assert partial.layer == "hidden"
    assert report.fits[0].status == "completed"
    fix = found.fixes[0]
    assert fix.safety == "review"
    assert "        outputs = keras.ops.tanh(inputs)\n" in fix.patched_source
    patched = assert_fix_verified(run, "GM004")
    assert "GM002" not in patched.report.codes()


def test_numpy_function_in_the_loss_comes_with_no_gradients():
    run = check_program("broken/gm004_numpy_function_loss")
    report = run.report
    found = only(report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 11, None)
    assert (found.evidence["variables_without_gradient"], found.evidence["trainable_variables"]) == (4, 4)
    symptom = only(report, "GM001")
    assert symptom.line == 11
    assert report.fits[0].exception_type == "ValueError"
    assert "No gradients provided" in report.fits[0].exception_message
    assert "    squared = keras.ops.square(y_true - y_pred)\n" in found.fixes[0].patched_source
    patched = assert_fix_verified(run, "GM004")
    assert "GM001" not in patched.report.codes()


def test_numpy_function_of_unknown_shape_explains_the_keras_error():
    run = check_program("broken/gm004_numpy_function_lambda_loss")
    found = only(run.report, "GM004")
    assert (found.severity, found.line, found.layer) == ("error", 11, None)
    assert found.evidence["construct"] == "tf.numpy_function"
    assert found.evidence["wrapped"] == "<lambda>"
    assert found.evidence["exception_message"] == "Cannot iterate over a shape with unknown rank."
    assert "unknown shape" in found.message
    assert found.fixes == []  # a lambda has no one-to-one TensorFlow op


def test_explain_prints_the_documentation(capsys):
    for code in ("GM004", "GM005", "GM006"):
        assert main(["explain", code]) == 0
        text = capsys.readouterr().out
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
            assert section in text, (code, section)
        assert "TODO" not in text
