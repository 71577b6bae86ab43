"""The static table of ``keras.ops`` parameters (``fixes.keras_ops_signatures``) against the installed Keras."""

import inspect

import keras

from gradmagic.fixes.keras_ops_signatures import KERAS_OPS_PARAMETERS, accepts_keywords
from gradmagic.rules.gm004_leaves_tensorflow import NUMPY_TO_OPS


def test_the_table_lists_every_function_a_numpy_call_may_become():
    assert NUMPY_TO_OPS <= set(KERAS_OPS_PARAMETERS)


def test_the_table_matches_the_signatures_of_keras_ops():
    wrong = {name: (listed, tuple(inspect.signature(getattr(keras.ops, name)).parameters))
             for name, listed in KERAS_OPS_PARAMETERS.items()
             if listed != tuple(inspect.signature(getattr(keras.ops, name)).parameters)}
    assert not wrong, f"keras.ops changed: (table, installed) {wrong}"


def test_keywords_are_checked_against_the_table():
    assert accepts_keywords("mean", {"axis", "keepdims"})
    assert not accepts_keywords("mean", {"dtype"})  # numpy's mean takes dtype=, keras.ops.mean does not
    assert not accepts_keywords("no_such_function", {"axis"})
