"""GM008 untrainable-variable: raw tf.Variable attributes, integer weights, unreachable layers."""

import numpy as np
from helpers import assert_fix_verified, check_program, only


def test_raw_tf_variable_is_not_tracked():
    run = check_program("broken/gm008_raw_tf_variable")
    finding = only(run.report, "GM008")
    assert finding.severity == "warning"
    assert finding.line == 13
    assert finding.layer == "scale"
    assert finding.evidence == {"attribute": "scale", "class": "Scale", "dtype": "float32", "shape": [],
                                "tracked_trainable_variables": 2, "fits": [0]}
    assert float(run.namespace["model"].get_layer("scale").scale.numpy()) == 1.0  # it really never trained
    fix = finding.fixes[0]
    assert fix.safety == "safe"
    assert "self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(1.0))" \
        in fix.patched_source
    patched = assert_fix_verified(run, "GM008")
    scale = patched.namespace["model"].get_layer("scale")
    assert len(scale.trainable_weights) == 1 and float(np.asarray(scale.scale)) != 1.0


def test_integer_weight_in_a_custom_train_step():
    run = check_program("broken/gm008_integer_weight")
    finding = only(run.report, "GM008")
    assert finding.severity == "warning"
    assert finding.line == 12
    assert finding.layer == "linear"
    assert finding.evidence["dtype"] == "int32"
    assert finding.evidence["shape"] == [4, 1]
    assert finding.evidence["trainable_variables"] == 2
    assert "GM003" not in run.report.codes()  # the integer read is not reported as a cut op
    fix = finding.fixes[0]
    assert 'dtype="float32", trainable=True)' in fix.patched_source
    patched = assert_fix_verified(run, "GM008")
    assert "GM002" not in patched.report.codes()


def test_layer_whose_output_is_thrown_away():
    run = check_program("broken/gm008_unused_branch")
    finding = only(run.report, "GM008")
    assert finding.severity == "warning"
    assert finding.line == 18
    assert finding.layer == "dense_1"
    assert "`self.skip`" in finding.message
    assert finding.evidence == {"variables": ["classifier/dense_1/kernel", "classifier/dense_1/bias"],
                                "trainable_variables": 6, "fits": [0]}
    assert finding.fixes == []


def test_raw_variable_marked_untrainable_is_all_the_model_has_to_learn():
    run = check_program("broken/gm008_raw_variable_marked_untrainable")
    found = only(run.report, "GM008")
    assert (found.severity, found.line, found.layer) == ("error", 13, "projection")
    assert found.evidence["tracked_trainable_variables"] == 0
    patched = found.fixes[0].patched_source
    assert "self.kernel = self.add_weight(shape=(input_shape[-1], 1), initializer=" in patched
    assert "trainable=False" not in patched
    assert_fix_verified(run, "GM008")
