"""Builders for the GM002-GM013 pure tests: the probe, the loss as compiled, a raised error, a subclassed model.

Shapes copied from what a real check of ``tests/programs/broken/gm0*`` produced; no TensorFlow.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evidence_builder import FILENAME, dense, dense_variables

from gradmagic.evidence.facts.compiled import LossEntry, LossSetup
from gradmagic.evidence.facts.model import LayerInfo, ModelInfo
from gradmagic.evidence.facts.probe import (
    GradientCut,
    ProbeError,
    ProbeResult,
    VariableGradient,
)
from gradmagic.evidence.fit_evidence import FitException

NO_GRADIENTS = "No gradients provided for any variable."


def probe(mode: str = "compile", *, none: tuple[str, ...] = (), ok: tuple[str, ...] = (),
          traced: tuple[str, ...] = (), **fields: Any) -> ProbeResult:
    """The gradient probe: variables without a gradient (``none``), with one (``ok``) or connected but
    not run (``traced``, a custom ``train_step``)."""
    gradients = [VariableGradient(path, "none") for path in none]
    gradients += [VariableGradient(path, "ok", norm=2.5, max_abs=1.5, mean_abs=0.5) for path in ok]
    gradients += [VariableGradient(path, "traced") for path in traced]
    return ProbeResult(mode=mode, gradients=gradients, **fields)


def cut(op_type: str, op_name: str, line: int | None, *, reason: str = "no-gradient",
        output_dtype: str = "float32") -> GradientCut:
    """An op on the path from the weights to the loss without a gradient; its scope is its name's folder."""
    return GradientCut(op_type=op_type, op_name=op_name, line=line, layer_scope=op_name.rsplit("/", 1)[0],
                       reason=reason, input_dtype="float32", output_dtype=output_dtype)


def function_loss(name: str, line: int) -> LossSetup:
    """``compile(loss=name)`` with ``def name(y_true, y_pred):`` on ``line`` of the checked source."""
    return LossSetup(structure="single", type_name="function",
                     entries=(LossEntry(key=None, given=True, name=name, class_name="function", module="__main__",
                                        function_name=name, code_file=FILENAME, code_line=line, code_name=name),))


def keyed_loss(**texts: str) -> LossSetup:
    """``compile(loss={"key": "text", ...})``."""
    return LossSetup(structure="dict", type_name="_DictWrapper",
                     entries=tuple(LossEntry(key=key, given=True, name=text, class_name="str", module="builtins",
                                             text=text) for key, text in texts.items()))


NO_LOSS = LossSetup()  # ``compile()`` without ``loss=``

#: ``compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))``
SPARSE_LOGITS_LOSS = LossSetup(structure="single", type_name="SparseCategoricalCrossentropy", entries=(
    LossEntry(key=None, given=True, name="sparse_categorical_crossentropy", class_name="SparseCategoricalCrossentropy",
              module="keras.src.losses.losses", from_logits=True),))


def failed(type_name: str, message: str, line: int | None = None, *, in_probe: bool = False) -> dict[str, Any]:
    """``fit_evidence`` overrides for a ``fit`` that raised; ``in_probe``: the probe's trace raised it too."""
    overrides: dict[str, Any] = {"status": "failed", "exception": FitException(type_name, message, line)}
    if in_probe:
        overrides["probe"] = ProbeResult(mode="compile", error=ProbeError(type_name, message, line))
    return overrides


def prefixed(info: ModelInfo, prefix: str) -> ModelInfo:
    """The model with its variable paths under ``prefix/`` (``sequential/dense/kernel``), as Keras names them."""
    return replace(info, variables=[replace(v, path=f"{prefix}/{v.path}") for v in info.variables])


def subclassed(name: str, class_name: str, *layers: tuple[str, int, int, str], line: int,
               attributes: tuple[str, ...] = ()) -> ModelInfo:
    """A subclassed model of ``(layer, inputs, units, activation)`` Dense layers made in ``__init__``.

    Keras gives such layers no inbound edges nor output shapes, and ``line`` is where the model is made;
    ``attributes`` are the ``self.<attribute>`` names holding them, in order.
    """
    infos: list[LayerInfo] = []
    variables = []
    for layer_name, inputs, units, activation in layers:
        layer = replace(dense(layer_name, units, inputs=inputs, activation=activation, line=line), output_shape=None)
        infos.append(layer)
        variables += [replace(v, path=f"{name}/{v.path}") for v in dense_variables(layer, inputs, units)]
    return ModelInfo(name=name, class_name=class_name, layers=infos, variables=variables,
                     class_chain=(class_name, "Model", "Trainer", "Layer"),
                     layer_attributes=tuple(zip(attributes, [layer.name for layer in infos])))


def weightless(name: str, class_name: str, *, line: int, inbound: list[str], units: int) -> LayerInfo:
    """A layer without weights (``Lambda``, ``Concatenate``, a custom layer)."""
    return LayerInfo(name=name, class_name=class_name, trainable=True, activation=None, inbound=inbound, parent=None,
                     output_shape=f"(None, {units})", params=0, line=line, class_chain=(class_name, "Layer"))


def with_layer(info: ModelInfo, layer: LayerInfo, *, before: str) -> ModelInfo:
    """The model with ``layer`` inserted before the layer named ``before``."""
    layers = list(info.layers)
    index = next(i for i, other in enumerate(layers) if other.name == before)
    return replace(info, layers=layers[:index] + [layer] + layers[index:])
