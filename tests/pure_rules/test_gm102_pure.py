"""GM102 from constructed evidence: `(N,)` targets against an `(N, 1)` output inside a custom Loss, or a train_step."""

from builders_preflight import LOSSES, array, head, made_at, preflight, preflight_fit
from evidence_builder import FILENAME, check, dense, render
from snapshot import assert_snapshot

from gradmagic.evidence.facts.compiled import LossEntry, LossSetup
from gradmagic.evidence.facts.preflight import LossInfo
from gradmagic.evidence.facts.probe import Broadcast, ProbeResult

SOURCE = """import numpy as np
import keras


class SquaredError(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


x = np.random.normal(size=(64, 3)).astype("float32")
y = x @ np.array([1.0, -2.0, 0.5], dtype="float32")

model = keras.Sequential([
    keras.Input((3,)),
    keras.layers.Dense(8, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss=SquaredError())
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
"""

HIDDEN = dense("dense", 8, inputs=3, activation="tanh", line=15)
OUTPUT = dense("dense_1", 1, inputs=8, line=16)
X = array("x", (64, 3), low=-2.55, high=2.38, mean=0.0518, std=1.02, origin=made_at("x", 10, "x"))
FLAT_Y = array("y", (64,), low=-5.86, high=5.2, mean=-0.176, std=2.35, origin=made_at("y", 11, "y"))
SQUARED_ERROR = LossSetup(structure="single", type_name="SquaredError", entries=(
    LossEntry(key=None, given=True, name="SquaredError", class_name="SquaredError", module="__main__",
              code_file=FILENAME, code_line=6, code_name="call"),))
# what the pre-flight measured: the loss as written and with the targets reshaped to (16, 1)
BROADCAST = {"target_shape": [16], "output_shape": [16, 1], "broadcast_shape": [16, 16], "loss_as_written": 6.2742,
             "loss_aligned": 7.0147}


def _fit(loss: LossInfo, broadcast: dict | None):
    output = head(OUTPUT, loss, FLAT_Y, target_kind="continuous", relation="expand", broadcast=broadcast)
    return preflight_fit(preflight(output, inputs=(X,)), [(HIDDEN, 3, 8), (OUTPUT, 8, 1)], loss=SQUARED_ERROR,
                         line=19)


def test_a_loss_class_comparing_flat_targets_with_a_column_is_gm102_where_the_targets_are_made():
    custom = LossInfo("SquaredError", None, "custom", form="custom-object")
    report = check(SOURCE, _fit(custom, BROADCAST))
    assert report.codes() == ["GM102"]
    found = report.findings[0]
    assert (found.severity, found.line, found.layer) == ("error", 11, "dense_1")
    assert found.message == ("targets of shape (N,) against outputs of shape (N, 1) broadcast to (N, N) inside "
                             "`SquaredError`")
    assert found.evidence["broadcast_shape"] == [16, 16] and found.evidence["batch_rows"] == 16
    assert (found.evidence["loss_as_written"], found.evidence["loss_with_aligned_targets"]) == (6.2742, 7.0147)
    assert [fix.id for fix in found.fixes] == ["reshape-targets", "reshape-in-loss"]
    assert found.fixes[0].patched_source.splitlines()[11] == "y = y.reshape(-1, 1)"
    assert found.fixes[1].patched_source.splitlines()[6] == \
        "        y_true = keras.ops.reshape(y_true, keras.ops.shape(y_pred))"
    assert_snapshot("GM102", render(report))


def test_a_built_in_loss_aligns_the_shapes_itself():
    assert "GM102" not in check(SOURCE, _fit(LOSSES["mse"], None)).codes()


TRAIN_STEP = """import numpy as np
import tensorflow as tf
import keras

features = np.random.normal(size=(512, 6)).astype("float32")
price = (features @ np.arange(1, 7, dtype="float32")) * 0.5


class Regressor(keras.Model):
    def __init__(self):
        super().__init__()
        self.body = keras.layers.Dense(16, activation="relu")
        self.head = keras.layers.Dense(1)

    def call(self, x):
        return self.head(self.body(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = tf.reduce_mean(tf.square(y - y_pred))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


model = Regressor()
model.compile(optimizer="adam")
history = model.fit(features, price, epochs=3, batch_size=32, verbose=0)
"""


def test_a_train_step_subtracting_a_column_from_flat_targets_is_gm102_at_the_subtraction():
    price = array("y", (512,), low=-14.7, high=14.2, mean=-0.224, std=4.75, origin=made_at("price", 6, "y"))
    body = dense("dense", 16, inputs=6, activation="relu", line=12)
    output = dense("dense_1", 1, inputs=16, line=13)
    probe = ProbeResult(mode="train_step", broadcasts=[Broadcast("Sub", 22, [None], [None, 1])])
    fit = preflight_fit(preflight(targets=[price]), [(body, 6, 16), (output, 16, 1)], loss=LossSetup(), line=30,
                        probe=probe, custom_train_step=True)
    report = check(TRAIN_STEP, fit)
    assert report.codes() == ["GM102"]
    found = report.findings[0]
    assert (found.line, found.evidence["op"], found.evidence["where"]) == (22, "Sub", "train_step")
    assert found.message.startswith("`loss = tf.reduce_mean(tf.square(y - y_pred))` pairs a batch vector (N,) "
                                    "with a batch column (N, 1)")
    assert [fix.id for fix in found.fixes] == ["reshape-targets"]
    assert found.fixes[0].patched_source.splitlines()[6] == "price = price.reshape(-1, 1)"
