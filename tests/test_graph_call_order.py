"""Issue 13, point 4: the gradient-flow graph of a subclassed model follows the traced call, not the order
the model holds its parts in: ``discriminator(generator(noise))`` reads generator -> discriminator -> loss."""

from __future__ import annotations

import pytest
from helpers import check_program, check_source

from gradmagic.report.flow_graph import LOSS_NODE

HEAD_HELD_FIRST = """
import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.normal(size=(32, 3)).astype("float32")
y = x.sum(axis=1, keepdims=True)


class Chain(keras.Model):
    def __init__(self):
        super().__init__()
        self.head = keras.Sequential([keras.layers.Dense(1, name="out")], name="head")
        self.body = keras.Sequential([keras.layers.Dense(4, activation="relu", name="hidden")], name="body")

    def call(self, inputs):
        return self.head(self.body(inputs))


model = Chain()
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
"""


def _walk(graph: dict) -> list[str]:
    """The nodes from the first one without an inbound edge to the loss, along the (single) chain of edges."""
    following = {}
    for edge in graph["edges"]:
        assert edge["source"] not in following, f"{edge['source']} feeds two nodes: {graph['edges']}"
        following[edge["source"]] = edge["target"]
    starts = [name for name in following if name not in following.values()]
    assert len(starts) == 1, starts
    path = starts
    while path[-1] in following:
        path.append(following[path[-1]])
    return path


def _models_along(graph: dict, path: list[str]) -> list[str]:
    group = {node["id"]: node["group"] for node in graph["nodes"]}
    models: list[str] = []
    for name in path:
        owner = group[name] or name
        if not models or models[-1] != owner:
            models.append(owner)
    return models


@pytest.mark.parametrize("name", ["healthy/gan_discriminator_first", "healthy/gan_two_optimizers"])
def test_a_gan_reads_generator_then_discriminator_then_loss(name):
    run = check_program(name)
    graph = run.report.graph
    path = _walk(graph)
    assert _models_along(graph, path) == ["generator", "discriminator", LOSS_NODE]
    # the loss hangs under the discriminator's output layer, and nothing else feeds it
    into_loss = [edge["source"] for edge in graph["edges"] if edge["target"] == LOSS_NODE]
    assert into_loss == [path[-2]]
    assert next(node for node in graph["nodes"] if node["id"] == path[-2])["group"] == "discriminator"
    # the only edge between the two models is the one the traced step made (generator out -> discriminator in)
    between = [edge for edge in graph["edges"] if edge.get("inferred")]
    assert len(between) == 1 and between[0]["source"] == path[2] and between[0]["target"] == path[3]


def test_the_discriminator_first_gan_is_held_in_the_other_order():
    """The program holds (and creates) the discriminator first: only the trace can order it."""
    run = check_program("healthy/gan_discriminator_first")
    groups = [group["id"] for group in run.report.graph["groups"]]
    assert groups == ["discriminator", "generator"]


def test_a_subclassed_model_with_the_compiled_loss_follows_its_call():
    run = check_source(HEAD_HELD_FIRST, "/tmp/gm_head_held_first.py")
    graph = run.report.graph
    path = _walk(graph)
    assert [name for name in path if name != LOSS_NODE and not name.startswith("input")] == ["hidden", "out"]
    assert path[-1] == LOSS_NODE
    assert [group["id"] for group in graph["groups"]] == ["head", "body"]  # held head first
