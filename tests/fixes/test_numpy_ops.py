"""Keeping a value in TensorFlow: NumPy calls to ``keras.ops``."""

from gradmagic.fixes.cst import syntax_tree
from gradmagic.fixes.numpy_ops import (
    keep_in_tensorflow_on_line,
    keep_in_tensorflow_to_function_end,
    numpy_aliases,
    unwrap_numpy_function,
)

LOSS = """\
import keras
import numpy as onp

def my_loss(y_true, y_pred):
    err = onp.square(y_true - y_pred)  # squared error
    return onp.mean(err, axis=-1)
"""


def test_numpy_aliases():
    assert numpy_aliases(syntax_tree(LOSS)) == {"onp"}
    assert numpy_aliases(syntax_tree("x = 1\n")) == {"np", "numpy"}


def test_numpy_calls_on_a_line_become_keras_ops():
    kept = keep_in_tensorflow_on_line(LOSS, 5)
    assert kept.source == LOSS.replace("onp.square", "keras.ops.square")
    assert kept.changes == ("`onp.square` -> `keras.ops.square`",)
    assert kept.exact


def test_a_keyword_keras_ops_does_not_take_blocks_the_rewrite():
    source = "import numpy as np\nm = np.mean(x, dtype='float64')\n"
    assert keep_in_tensorflow_on_line(source, 2) is None
    assert keep_in_tensorflow_on_line("import numpy as np\nm = np.mean(x, axis=0)\n", 2).source == \
        "import keras\nimport numpy as np\nm = keras.ops.mean(x, axis=0)\n"


def test_dropping_numpy_and_float_conversions():
    kept = keep_in_tensorflow_on_line("v = float(t.numpy() * 2)\n", 1)
    assert kept.source == "v = (t * 2)\n"
    assert kept.changes == ("drop `.numpy()`", "drop `float()`")
    assert not kept.exact  # a tensor where a number was
    assert keep_in_tensorflow_on_line("v = t * 2\n", 1) is None


def test_to_the_end_of_the_function():
    kept = keep_in_tensorflow_to_function_end(LOSS, 5)
    assert kept.source == LOSS.replace("onp.", "keras.ops.")
    assert kept.changes == ("`onp.square` -> `keras.ops.square`", "`onp.mean` -> `keras.ops.mean`")
    assert keep_in_tensorflow_to_function_end(LOSS.replace("onp.mean(err, axis=-1)", "onp.unique(err)"), 5) is None


def test_unwrap_a_numpy_function():
    source = "import numpy as np\ny = tf.numpy_function(np.tanh, [x], tf.float32)  # wrapped\n"
    unwrapped = unwrap_numpy_function(source, 2)
    assert unwrapped.op == "keras.ops.tanh"
    assert unwrapped.source == "import keras\nimport numpy as np\ny = keras.ops.tanh(x)  # wrapped\n"
    assert unwrap_numpy_function("y = tf.py_function(tf.math.exp, [a, b], tf.float32)\n", 1).source == \
        "y = tf.math.exp(a, b)\n"
    assert unwrap_numpy_function("y = tf.numpy_function(my_fn, [x], tf.float32)\n", 1) is None
