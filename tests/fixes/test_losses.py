"""Edits of the loss a model trains with."""

from gradmagic.fixes.cst import syntax_tree
from gradmagic.fixes.losses import (
    HeadLoss,
    loss_code,
    loss_line,
    metric_to_loss,
    reshape_targets_in_loss,
    set_compile_loss,
    set_from_logits,
    set_head_loss,
    set_loss_entry,
    set_loss_item,
)

SINGLE = """\
import keras

model.compile(optimizer="adam",
              loss="categorical_crossentropy",  # one-hot targets
              metrics=["accuracy"])
model.fit(x, y)
"""
TWO_HEADS = """\
import keras

model.compile(optimizer="adam", loss={
    "label": "sparse_categorical_crossentropy",
    "box": "mse",
})
model.fit(x, {"label": y, "box": b})
"""
LABEL = HeadLoss(fit_line=7, index=0, names=("label", "dense_1"), heads=2)
BOX = HeadLoss(fit_line=7, index=1, names=("box", "dense_2"), heads=2)


def test_loss_code_spells_built_in_losses():
    assert loss_code("mse", False) == '"mse"'
    assert loss_code("binary_crossentropy", False) == '"binary_crossentropy"'
    assert loss_code("binary_crossentropy", True) == "keras.losses.BinaryCrossentropy(from_logits=True)"


def test_set_head_loss_for_one_head_keeps_the_comment():
    patched = set_head_loss(SINGLE, HeadLoss(6), '"sparse_categorical_crossentropy"')
    assert patched == SINGLE.replace('"categorical_crossentropy"', '"sparse_categorical_crossentropy"')
    assert loss_line(syntax_tree(SINGLE), HeadLoss(6)) == 4


def test_set_head_loss_in_a_dict_of_losses():
    assert set_head_loss(TWO_HEADS, BOX, '"mae"') == TWO_HEADS.replace('"box": "mse"', '"box": "mae"')
    assert loss_line(syntax_tree(TWO_HEADS), LABEL) == 4
    assert set_head_loss("model.fit(x, y)\n", LABEL, '"mae"') is None  # no compile


def test_a_loss_object_adds_import_keras():
    source = 'model.compile(loss="binary_crossentropy")\nmodel.fit(x, y)\n'
    assert set_head_loss(source, HeadLoss(2), "keras.losses.BinaryCrossentropy(from_logits=True)") == \
        "import keras\nmodel.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))\nmodel.fit(x, y)\n"


def test_set_from_logits_on_the_loss_object():
    source = "model.compile(loss=keras.losses.CategoricalCrossentropy())\nmodel.fit(x, y)\n"
    assert set_from_logits(source, HeadLoss(2), True) == \
        "model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))\nmodel.fit(x, y)\n"
    logits = "model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))\nmodel.fit(x, y)\n"
    assert set_from_logits(logits, HeadLoss(2), False) == \
        "model.compile(loss=keras.losses.CategoricalCrossentropy())\nmodel.fit(x, y)\n"


def test_set_from_logits_where_the_loss_object_is_built():
    source = ("loss_fn = keras.losses.SparseCategoricalCrossentropy()  # the loss\n"
              "model.compile(loss=loss_fn)\nmodel.fit(x, y)\n")
    assert set_from_logits(source, HeadLoss(3), True, assigned_on=1) == source.replace(
        "SparseCategoricalCrossentropy()", "SparseCategoricalCrossentropy(from_logits=True)")
    assert set_from_logits(source, HeadLoss(3), True) is None  # where it is built is not known


def test_set_from_logits_turns_a_built_in_name_into_an_object():
    patched = set_from_logits(SINGLE, HeadLoss(6), True, builtin_name="categorical_crossentropy")
    assert patched == SINGLE.replace('loss="categorical_crossentropy"',
                                     "loss=keras.losses.CategoricalCrossentropy(from_logits=True)")
    assert set_from_logits(SINGLE, HeadLoss(6), False, builtin_name="categorical_crossentropy") is None


def test_set_compile_loss():
    source = "model.compile(optimizer='adam')  # no loss\nmodel.fit(x, y)\n"
    assert set_compile_loss(source, '"mse"') == \
        "model.compile(optimizer='adam', loss=\"mse\")  # no loss\nmodel.fit(x, y)\n"
    assert set_compile_loss(source, "keras.losses.Huber()", line=1) == \
        "import keras\nmodel.compile(optimizer='adam', loss=keras.losses.Huber())  # no loss\nmodel.fit(x, y)\n"
    assert set_compile_loss(source, '"mse"', line=2) is None


def test_metric_to_loss():
    source = "model.compile(loss=keras.metrics.MeanSquaredError())\n"
    assert metric_to_loss(source, "MeanSquaredError") == "model.compile(loss=keras.losses.MeanSquaredError())\n"
    assert metric_to_loss(source, "Accuracy") is None


def test_a_head_without_a_loss_gets_one():
    source = 'model.compile(loss={"label": "mse"})\n'
    assert set_loss_entry(source, ["label"], "box", '"mae"') == 'model.compile(loss={"label": "mse", "box": "mae"})\n'
    assert set_loss_entry(TWO_HEADS, ["box", "label"], "box", "keras.losses.Huber()") == \
        TWO_HEADS.replace('"box": "mse"', '"box": keras.losses.Huber()')
    assert set_loss_entry(source, ["label"], "box", "keras.losses.Huber()") == \
        'import keras\nmodel.compile(loss={"label": "mse", "box": keras.losses.Huber()})\n'
    listed = 'model.compile(loss=["mse", None])\n'
    assert set_loss_item(listed, 1, '"mae"') == 'model.compile(loss=["mse", "mae"])\n'
    assert set_loss_item('model.compile(loss=["mse"])\n', 1, '"mae"') == 'model.compile(loss=["mse", "mae"])\n'
    assert set_loss_item('model.compile(loss="mse")\n', 1, '"mae"') is None


def test_reshape_targets_in_a_custom_loss():
    source = ("class MyLoss(keras.losses.Loss):\n    def call(self, y_true, y_pred):\n"
              "        return keras.ops.mean((y_true - y_pred) ** 2)  # broadcasts\n")
    assert reshape_targets_in_loss(source, 3, "y_true", "y_pred") == (
        "import keras\nclass MyLoss(keras.losses.Loss):\n    def call(self, y_true, y_pred):\n"
        "        y_true = keras.ops.reshape(y_true, keras.ops.shape(y_pred))\n"
        "        return keras.ops.mean((y_true - y_pred) ** 2)  # broadcasts\n")
