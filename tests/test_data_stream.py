"""``fit`` sees the same batches in the same order with and without gradmagic."""

import numpy as np
import pytest
from helpers import check_source, run_plain

PRELUDE = """
import numpy as np, keras, tensorflow as tf
keras.utils.set_random_seed(0)
seen = []

class Recorder(keras.layers.Layer):
    def call(self, inputs):
        if tf.executing_eagerly():
            seen.append(np.round(inputs.numpy()[:, 0], 5).tolist())
        return inputs

x = np.arange(40, dtype="float32").reshape(20, 2)
y = np.arange(20, dtype="float32").reshape(20, 1)
model = keras.Sequential([keras.Input((2,)), Recorder(), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
"""

FEEDS = {
    "generator": """
def batches():
    for start in range(0, 20, 5):
        yield x[start:start + 5], y[start:start + 5]
model.fit(batches(), epochs=1, verbose=0)
""",
    "dataset_reshuffled": """
ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(20, seed=3, reshuffle_each_iteration=True).batch(5)
model.fit(ds, epochs=2, verbose=0)
""",
    "dataset_plain": """
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
model.fit(ds, epochs=2, verbose=0)
""",
    "pydataset": """
class Feed(keras.utils.PyDataset):
    def __len__(self):
        return 4
    def __getitem__(self, index):
        return x[index * 5:(index + 1) * 5], y[index * 5:(index + 1) * 5]
model.fit(Feed(), epochs=2, verbose=0)
""",
    "arrays_shuffled": """
model.fit(x, y, batch_size=5, epochs=2, shuffle=True, verbose=0)
""",
}


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_same_batches_same_order(feed):
    source = PRELUDE + FEEDS[feed]
    plain = run_plain(source, f"/tmp/feed_{feed}.py")
    checked = check_source(source, f"/tmp/feed_{feed}.py")
    assert checked.error is None
    assert [f.status for f in checked.report.fits] == ["completed"]
    assert plain["seen"], "the recorder saw no batch"
    assert checked.namespace["seen"] == plain["seen"]
    np.testing.assert_array_equal(plain["model"].get_weights()[0], checked.namespace["model"].get_weights()[0])
