"""Edits of how a layer makes its weights."""

from gradmagic.fixes.weights import float_dtype, variable_to_add_weight

LAYER = """\
import keras

class Scale(keras.layers.Layer):
    def build(self, shape):
        self.w = tf.Variable(tf.ones((shape[-1],)), name="w")  # raw
"""


def test_a_variable_becomes_add_weight():
    made = variable_to_add_weight(LAYER, 5, (3,))
    assert made.source == LAYER.replace('tf.Variable(tf.ones((shape[-1],)), name="w")',
                                        'self.add_weight(shape=(shape[-1],), initializer="ones", name="w")')
    assert made.exact


def test_a_random_or_computed_start_is_not_exact():
    random = variable_to_add_weight("self.w = tf.Variable(tf.random.normal((4, 2)))\n", 1, (4, 2))
    assert random.source == 'self.w = self.add_weight(shape=(4, 2), initializer="random_normal")\n'
    assert not random.exact
    constant = variable_to_add_weight("self.b = tf.Variable(0.5, trainable=True)\n", 1, ())
    assert constant.source == ("import keras\nself.b = self.add_weight(shape=(), "
                               "initializer=keras.initializers.Constant(0.5), trainable=True)\n")
    assert constant.exact
    assert variable_to_add_weight("self.w = tf.Variable()\n", 1, ()) is None


def test_an_integer_weight_becomes_float():
    source = 'self.k = self.add_weight(shape=(2,), dtype="int32")\n'
    assert float_dtype(source, 1) == 'self.k = self.add_weight(shape=(2,), dtype="float32")\n'
    assert float_dtype(source, 2) is None
