"""Edits of ``trainable`` flags."""

from gradmagic.fixes.trainable import trainable_around, unfreeze_at


def test_unfreeze_an_assignment_or_a_keyword():
    assert unfreeze_at("base.trainable = False  # frozen\n", 1) == "base.trainable = True  # frozen\n"
    assert unfreeze_at("layer = Dense(4, trainable=False)\n", 1) == "layer = Dense(4, trainable=True)\n"
    assert unfreeze_at("base.trainable = True\n", 1) is None


def test_trainable_around_one_statement():
    source = "for x in data:\n    d_loss = disc.train_on_batch(x, y)\n"
    assert trainable_around(source, 2, "disc") == (
        "for x in data:\n    disc.trainable = True\n    d_loss = disc.train_on_batch(x, y)\n"
        "    disc.trainable = False\n")
