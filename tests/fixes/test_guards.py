"""Keeping an op's argument inside its domain."""

from gradmagic.fixes.guards import guard_op


def test_every_log_on_the_line_is_guarded():
    source = "loss = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))  # bce\n"
    assert guard_op(source, 1, "Log") == ("loss = -tf.reduce_mean(y * tf.math.log(tf.maximum(p, 1e-7)) + (1 - y) * "
                                          "tf.math.log(tf.maximum(1 - p, 1e-7)))  # bce\n")


def test_keras_ops_use_their_own_maximum():
    assert guard_op("r = keras.ops.sqrt(v)\n", 1, "Sqrt") == "r = keras.ops.sqrt(keras.ops.maximum(v, 1e-12))\n"


def test_none_when_there_is_nothing_to_guard():
    assert guard_op("r = tf.sqrt(tf.maximum(v, 1e-12))\n", 1, "Sqrt") is None  # already guarded
    assert guard_op("r = math.log(v)\n", 1, "Log") is None  # not a tensor library
    assert guard_op("r = tf.exp(v)\n", 1, "Exp") is None  # no guard for this op
    assert guard_op("r = tf.math.log(v)\n", 2, "Log") is None
