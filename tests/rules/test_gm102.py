"""GM102 silent-broadcast: `(N,)` targets against `(N, 1)` outputs inside a custom Loss."""

from preflight_support import assert_every_fix_verified, check_broken, finding


def test_loss_subclass_broadcasts_flat_targets():
    run = check_broken("gm102_loss_class_flat_targets")
    found = finding(run, "GM102", "error", line=12)
    assert found.message == ("targets of shape (N,) against outputs of shape (N, 1) broadcast to (N, N) "
                             "inside `SquaredError`")
    assert found.evidence["target_shape"] == [16]
    assert found.evidence["output_shape"] == [16, 1]
    assert found.evidence["broadcast_shape"] == [16, 16]
    assert found.evidence["loss_as_written"] != found.evidence["loss_with_aligned_targets"]
    assert [fix.id for fix in found.fixes] == ["reshape-targets", "reshape-in-loss"]
    assert "y = y.reshape(-1, 1)\n" in found.fixes[0].patched_source
    assert "y_true = keras.ops.reshape(y_true, keras.ops.shape(y_pred))" in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM102")


def test_dataset_targets_are_traced_back_to_the_array():
    run = check_broken("gm102_dataset_flat_targets")
    found = finding(run, "GM102", "error", line=15)  # `targets = ...`, followed through from_tensor_slices
    assert "inside `AbsoluteError`" in found.message
    assert found.evidence["batch_rows"] == 16
    # the docstring stays first in `call`
    assert '"""Mean absolute error, written by hand."""\n\n    def call(self, targets, predictions):\n' \
           '        targets = keras.ops.reshape(targets, keras.ops.shape(predictions))\n' in found.fixes[1].patched_source
    assert_every_fix_verified(run, "GM102")


def test_builtin_losses_align_flat_targets_themselves():
    run = check_broken("gm102_loss_class_flat_targets")
    patched = run.report.source.replace("loss=SquaredError()", 'loss="mse"')
    from helpers import check_source

    assert "GM102" not in check_source(patched, run.report.filename).report.codes()


def test_custom_train_step_broadcasts_flat_targets():
    run = check_broken("gm102_train_step_flat_targets")
    found = finding(run, "GM102", "error", line=28)  # `loss = tf.reduce_mean(tf.square(y - y_pred))`
    assert found.evidence["op"] == "Sub"
    assert sorted(found.evidence["shapes"], key=len) == [[None], [None, 1]]
    assert found.message.startswith("`loss = tf.reduce_mean(tf.square(y - y_pred))` pairs a batch vector (N,)")
    assert [fix.id for fix in found.fixes] == ["reshape-targets"]
    assert "price = price.reshape(-1, 1)\n" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM102")


def test_custom_train_step_with_aligned_targets_is_quiet():
    from helpers import check_source, program

    source = program("broken/gm102_train_step_flat_targets").read_text().replace(
        "price = (features @ np.arange(1, 7, dtype=\"float32\")) * 0.5",
        "price = ((features @ np.arange(1, 7, dtype=\"float32\")) * 0.5).reshape(-1, 1)")
    assert ".reshape(-1, 1)" in source
    run = check_source(source, "/tmp/gm102_aligned_train_step.py")
    assert run.report.fits[0].status == "completed"
    assert "GM102" not in run.report.codes()


PAIRWISE_RANKING = """import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(4)
x = np.random.normal(size=(256, 5)).astype("float32")
rel = (x @ np.arange(5, dtype="float32")).astype("float32")


class Ranker(keras.Model):
    def __init__(self):
        super().__init__()
        self.score = keras.layers.Dense(1)
        self.tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.tracker]

    def call(self, x):
        return self.score(x)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            s = tf.squeeze(self(x, training=True), -1)
            pairs = tf.sign(y[:, None] - y)
            loss = tf.reduce_mean(tf.nn.softplus(-pairs * (s[:, None] - s)))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.tracker.update_state(loss)
        return {"loss": self.tracker.result()}


model = Ranker()
model.compile(optimizer="adam")
history = model.fit(x, rel, epochs=3, batch_size=32, verbose=0)
"""


def test_a_pairwise_ranking_loss_in_a_train_step_is_meant():
    from helpers import check_source

    # `y[:, None] - y` and `s[:, None] - s` are (N, N) on purpose: neither pairs data targets with predictions
    run = check_source(PAIRWISE_RANKING, "/tmp/gm102_pairwise_ranking.py")
    assert run.report.fits[0].status == "completed"
    assert "GM102" not in run.report.codes()
