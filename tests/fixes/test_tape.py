"""Edits of ``tf.GradientTape`` code."""

from gradmagic.fixes.tape import (
    ask_other_tape,
    make_persistent,
    move_into_tape,
    watch_accessed_variables,
)

STEP = """\
def train_step(x, y):
    pred = model(x)  # forward
    with tf.GradientTape() as tape:
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
"""


def test_move_the_forward_pass_into_the_tape():
    assert move_into_tape(STEP, [2], 3) == """\
def train_step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x)  # forward
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
"""


def test_a_move_that_would_change_the_meaning_is_refused():
    assert move_into_tape(STEP, [5], 3) is None  # it uses the tape
    assert move_into_tape(STEP, [3], 3) is None  # the tape block itself
    assert move_into_tape(STEP, [2], 4) is None  # no tape block starts there


def test_tape_settings():
    source = "with tf.GradientTape(watch_accessed_variables=False) as tape:  # manual\n    y = f(x)\n"
    assert watch_accessed_variables(source, 1) == "with tf.GradientTape() as tape:  # manual\n    y = f(x)\n"
    assert make_persistent(source, 1) == source.replace("=False)", "=False, persistent=True)")
    assert make_persistent(source, 2) is None


def test_ask_the_tape_that_recorded_the_value():
    source = "g = inner.gradient(loss, w)  # wrong tape\n"
    assert ask_other_tape(source, 1, "gradient", "inner", "outer") == "g = outer.gradient(loss, w)  # wrong tape\n"
    assert ask_other_tape(source, 1, "gradient", "other", "outer") is None
