"""Edits of the dict keys that name a model's outputs."""

from gradmagic.fixes.output_keys import rename_key, unwrap_only_entry


def test_rename_a_key_keeps_its_quotes():
    source = "model.fit(x, {'labels': y, 'box': b})  # targets\n"
    assert rename_key(source, ["box", "labels"], "labels", "label") == \
        "model.fit(x, {'label': y, 'box': b})  # targets\n"
    assert rename_key(source, ["labels"], "labels", "label") is None  # no dict with exactly these keys


def test_unwrap_the_only_entry():
    assert unwrap_only_entry('model.fit(x, {"dense": y})\n', ["dense"]) == "model.fit(x, y)\n"
