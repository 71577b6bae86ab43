"""Edits of the optimizer: one learning-rate edit, other settings, which optimizer is used."""

from gradmagic.fixes.cst import syntax_tree
from gradmagic.fixes.optimizers import (
    AppliedOptimizer,
    apply_other_optimizer,
    optimizer_line,
    own_optimizer,
    rate_code,
    set_learning_rate,
    set_optimizer_arguments,
)

CONSTRUCTED = """\
import keras

opt = keras.optimizers.SGD(0.5, momentum=0.9)  # too fast
model.compile(optimizer=opt, loss="mse")
model.fit(x, y)
"""


def test_rate_code():
    assert rate_code(0.001) == "0.001"
    assert rate_code(1e-5) == "1e-05"


def test_learning_rate_on_the_constructor_replaces_the_positional_rate():
    assert set_learning_rate(CONSTRUCTED, 5, 0.01) == CONSTRUCTED.replace("SGD(0.5,", "SGD(0.01,")
    assert optimizer_line(syntax_tree(CONSTRUCTED), 5) == 3


def test_learning_rate_keyword_is_set_in_place():
    source = "model.compile(optimizer=keras.optimizers.Adam(learning_rate=2.0), loss='mse')\nmodel.fit(x, y)\n"
    assert set_learning_rate(source, 2, 0.001) == source.replace("learning_rate=2.0", "learning_rate=0.001")


def test_a_string_optimizer_becomes_its_class():
    source = 'model.compile(optimizer="adam", loss="mse")  # defaults\nmodel.fit(x, y)\n'
    assert set_learning_rate(source, 2, 0.0001) == (
        "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0001), loss=\"mse\")"
        "  # defaults\nmodel.fit(x, y)\n")
    positional = "model.compile('sgd', 'mse')\nmodel.fit(x, y)\n"
    assert set_optimizer_arguments(positional, 2, {"clipnorm": "1.0"}) == \
        "import keras\nmodel.compile(keras.optimizers.SGD(clipnorm=1.0), 'mse')\nmodel.fit(x, y)\n"


def test_without_an_optimizer_keras_uses_rmsprop():
    source = "model.compile(loss='mse')\nmodel.fit(x, y)\n"
    assert set_learning_rate(source, 2, 0.01) == \
        ("import keras\nmodel.compile(loss='mse', optimizer=keras.optimizers.RMSprop(learning_rate=0.01))\n"
         "model.fit(x, y)\n")


def test_clipnorm_is_added_to_the_constructor():
    assert set_optimizer_arguments(CONSTRUCTED, 5, {"clipnorm": "1.0"}) == \
        CONSTRUCTED.replace("momentum=0.9)", "momentum=0.9, clipnorm=1.0)")


def test_none_when_the_optimizer_cannot_be_found():
    assert set_learning_rate("model.fit(x, y)\n", 1, 0.01) is None
    assert set_learning_rate("model.compile(optimizer=make_opt(), loss='mse')\n", None, 0.01) is None
    assert set_learning_rate("model.compile(optimizer='unknown_opt')\n", None, 0.01) is None


def test_a_train_step_applying_its_own_optimizers_edits_the_recorded_one():
    source = """\
class GAN(keras.Model):
    def __init__(self):
        super().__init__()
        self.d_opt = keras.optimizers.Adam(1e-3)
        self.g_opt = keras.optimizers.Adam(learning_rate=0.5)

gan.compile()
gan.fit(x)
"""
    generator = AppliedOptimizer("Adam", 0.5)
    assert optimizer_line(syntax_tree(source), 8, generator) == 5
    assert set_learning_rate(source, 8, 0.001, generator) == source.replace("learning_rate=0.5", "learning_rate=0.001")
    assert optimizer_line(syntax_tree(source), 8, AppliedOptimizer("Adam", 1e-3)) == 4


def test_which_optimizer_a_compile_or_an_update_uses():
    source = "opt = keras.optimizers.Adam()\na.compile(optimizer=opt)\nb.compile(optimizer=opt, loss='mse')\n"
    assert own_optimizer(source, 3, "opt", "keras.optimizers.Adam()") == \
        source.replace("b.compile(optimizer=opt", "b.compile(optimizer=keras.optimizers.Adam()")
    assert own_optimizer(source, 3, "other", "keras.optimizers.Adam()") is None
    step = "self.d_opt.apply_gradients(zip(g_grads, g_vars))  # generator\n"
    assert apply_other_optimizer(step, 1, "apply_gradients", "self.d_opt", "self.g_opt") == \
        step.replace("self.d_opt", "self.g_opt")
    assert apply_other_optimizer(step, 1, "apply_gradients", "self.opt", "self.g_opt") is None
