"""Edits of what the data yields."""

from gradmagic.fixes.datasets import split_labels, with_labels, yield_tuple, yield_with_labels

GENERATOR = """\
def batches():
    for i in range(10):
        yield [x[i], y[i]]  # one batch
"""


def test_a_list_becomes_a_tuple():
    assert yield_tuple(GENERATOR, 3) == GENERATOR.replace("yield [x[i], y[i]]", "yield x[i], y[i]")
    returned = "def __getitem__(self, i):\n    return [self.x[i], self.y[i]]\n"
    assert yield_tuple(returned, 2) == "def __getitem__(self, i):\n    return self.x[i], self.y[i]\n"
    assert yield_tuple(GENERATOR, 2) is None


def test_the_labels_are_split_from_a_dict():
    source = 'def gen():\n    yield {"pixels": a, "label": b}\n'
    assert split_labels(source, 2, "label") == "def gen():\n    yield a, b\n"
    several = 'def gen():\n    yield {"pixels": a, "meta": m, "label": b}\n'
    assert split_labels(several, 2, "label") == 'def gen():\n    yield {"pixels": a, "meta": m}, b\n'
    assert split_labels(source, 2, "target") is None


def test_a_dataset_is_built_with_its_labels():
    source = "ds = tf.data.Dataset.from_tensor_slices(features).batch(32)  # inputs only\n"
    assert with_labels(source, 1, "from_tensor_slices", "labels") == \
        "ds = tf.data.Dataset.from_tensor_slices((features, labels)).batch(32)  # inputs only\n"
    assert with_labels(source, 1, "from_generator", "labels") is None


def test_yielded_rows_get_the_labels_of_the_same_rows():
    source = "def gen():\n    yield x[idx]  # inputs only\n"
    assert yield_with_labels(source, 2, "y") == "def gen():\n    yield x[idx], y[idx]  # inputs only\n"
    assert yield_with_labels("def gen():\n    yield x\n", 2, "y") is None
