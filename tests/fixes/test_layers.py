"""Edits of the calls that make layers."""

from gradmagic.fixes.layers import (
    LayerCall,
    edit_each_line,
    insert_layer,
    layer_keyword,
    remove_layer,
    replace_assigned_initializer,
    set_activation,
    set_layer_keyword,
    set_layer_keywords,
    set_size,
)

MODEL = """\
import keras

model = keras.Sequential([
    keras.layers.Dense(16, activation="relu"),  # hidden
    keras.layers.Dense(8, "tanh", kernel_initializer="zeros"),
    keras.layers.Dense(1),  # out
    keras.layers.Softmax(),
])
"""
HIDDEN, SECOND, OUT, SOFTMAX = (LayerCall(4, "Dense"), LayerCall(5, "Dense"), LayerCall(6, "Dense"),
                                LayerCall(7, "Softmax"))


def test_set_size_changes_the_first_argument_or_the_size_keyword():
    assert set_size(MODEL, OUT, 10) == MODEL.replace("Dense(1)", "Dense(10)")
    source = "h = layers.Embedding(input_dim=100, output_dim=8)(ids)\n"
    assert set_size(source, LayerCall(1, "Embedding"), 501) == \
        "h = layers.Embedding(input_dim=501, output_dim=8)(ids)\n"
    assert set_size(source, LayerCall(1, "Embedding"), 501, ("num_tokens",)) is None  # neither keyword nor first
    assert set_size(MODEL, SOFTMAX, 3) is None  # a layer without a size
    assert set_size(MODEL, LayerCall(2, "Dense"), 3) is None  # no Dense made on that line


def test_one_activation_swap_for_keywords_positions_and_activation_layers():
    assert set_activation(MODEL, HIDDEN, "leaky_relu") == MODEL.replace('"relu"', '"leaky_relu"')
    assert set_activation(MODEL, SECOND, "relu") == MODEL.replace('"tanh"', '"relu"')
    assert set_activation(MODEL, OUT, "sigmoid") == MODEL.replace("Dense(1)", 'Dense(1, activation="sigmoid")')
    assert set_activation(MODEL, OUT, "sigmoid", add_missing=False) is None
    assert set_activation(MODEL, SOFTMAX, "sigmoid") == MODEL.replace("Softmax()", 'Activation("sigmoid")')


def test_removing_an_activation():
    assert set_activation(MODEL, HIDDEN, None) == MODEL.replace('(16, activation="relu")', "(16)")
    assert set_activation(MODEL, SECOND, None) == MODEL.replace('(8, "tanh", ', "(8, ")
    assert set_activation(MODEL, SOFTMAX, None) == MODEL.replace("    keras.layers.Softmax(),\n", "")
    functional = "h = keras.layers.Dense(3)(x)\np = keras.layers.Softmax()(h)\n"
    assert set_activation(functional, LayerCall(2, "Softmax"), None) == \
        "h = keras.layers.Dense(3)(x)\np = h\n"
    added = "model.add(keras.layers.Activation('softmax'))\n"
    assert set_activation(added, LayerCall(1, "Activation"), None) == \
        'model.add(keras.layers.Activation("linear"))\n'


def test_several_calls_of_a_class_on_one_line_are_told_apart():
    source = "m = keras.Sequential([keras.layers.Dense(4, activation='relu'), keras.layers.Dense(1)])\n"
    assert set_size(source, LayerCall(1, "Dense", 1), 3) == source.replace("Dense(1)", "Dense(3)")
    assert set_size(source, LayerCall(1, "Dense", 2), 3) is None
    comprehension = "layers = [keras.layers.Dense(8) for _ in range(3)]\n"  # one call makes three layers
    assert set_size(comprehension, LayerCall(1, "Dense", 2), 4) == comprehension.replace("Dense(8)", "Dense(4)")


def test_a_call_spanning_several_lines_is_found_from_a_line_inside_it():
    source = "layer = keras.layers.Dense(\n    8,\n    activation='sigmoid',\n)\n"
    assert set_activation(source, LayerCall(3, "Dense"), "relu") == source.replace("'sigmoid'", '"relu"')


def test_layer_keywords():
    assert layer_keyword(MODEL, SECOND, "kernel_initializer") == '"zeros"'
    assert layer_keyword(MODEL, OUT, "kernel_initializer") is None
    assert set_layer_keyword(MODEL, SECOND, "kernel_initializer", '"he_normal"') == \
        MODEL.replace('"zeros"', '"he_normal"')
    patched = set_layer_keywords(MODEL, [(HIDDEN, {"activation": '"tanh"', "kernel_initializer": '"glorot_uniform"'}),
                                         (OUT, {"use_bias": "False"})])
    assert patched == MODEL.replace('activation="relu")', 'activation="tanh", kernel_initializer="glorot_uniform")') \
        .replace("Dense(1)", "Dense(1, use_bias=False)")
    assert set_layer_keywords(MODEL, [(HIDDEN, {"use_bias": "False"}), (None, {"use_bias": "False"})]) is None


def test_edit_each_line_edits_a_line_once():
    source = "hidden = [keras.layers.Dense(8, activation='relu') for _ in range(3)]\n"
    calls = [LayerCall(1, "Dense", i) for i in range(3)]
    patched = edit_each_line(source, calls, lambda text, call: set_activation(text, call, "elu"))
    assert patched == source.replace("'relu'", '"elu"')
    assert edit_each_line(source, calls, lambda text, call: None) is None
    assert edit_each_line(source, calls, lambda text, call: text) is None  # nothing changed


def test_insert_layer_before_and_after_keeps_each_comment_on_its_line():
    patched = insert_layer(MODEL, HIDDEN, "keras.layers.Normalization()")
    assert patched == MODEL.replace("    keras.layers.Dense(16", "    keras.layers.Normalization(),\n"
                                    "    keras.layers.Dense(16")
    source = "model = keras.Sequential([\n    keras.layers.Dense(8),\n    keras.layers.Dense(1),  # out\n])\n"
    assert insert_layer(source, LayerCall(3, "Dense"), "keras.layers.Rescaling(2.0)", where="after") == \
        "import keras\n" + source.replace("  # out\n", "  # out\n    keras.layers.Rescaling(2.0),\n")
    flat = "model = keras.Sequential([keras.layers.Dense(1)])\n"
    assert insert_layer(flat, LayerCall(1, "Dense"), "keras.layers.Rescaling(2.0)", where="after") == \
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(1), keras.layers.Rescaling(2.0)])\n"
    assert insert_layer("x = keras.layers.Dense(1)(h)\n", LayerCall(1, "Dense"), "keras.layers.ReLU()") is None


def test_remove_layer():
    assert remove_layer(MODEL, OUT) == MODEL.replace("    keras.layers.Dense(1),  # out\n", "")
    assert remove_layer(MODEL, None) is None


def test_a_shared_initializer_is_replaced_where_it_is_made():
    source = "init = keras.initializers.RandomNormal(stddev=1.0)  # wide\nh = Dense(8, kernel_initializer=init)\n"
    assert replace_assigned_initializer(source, 1, "init", "HeNormal") == \
        "import keras\ninit = keras.initializers.HeNormal()  # wide\nh = Dense(8, kernel_initializer=init)\n"
    assert replace_assigned_initializer(source, 2, "init", "HeNormal") is None
