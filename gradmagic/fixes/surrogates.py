"""Differentiable stand-ins for ops that cut or zero the gradient, as libcst rewrites.

- ``straight_through_at``: ``tf.sign(x)`` -> ``x + tf.stop_gradient(tf.sign(x) - x)``: the forward
  value is unchanged, the backward pass treats the op as the identity (straight-through estimator).
- ``soft_argmax_at``: ``tf.argmax(q, axis)`` -> the softmax-weighted mean of the indices, a float
  that moves with ``q``.

Each returns the rewritten source, or None when the call is not on the line or cannot be rewritten.
"""

from __future__ import annotations

import libcst as cst

from gradmagic.fixes.cst import callee_is, code_of, dotted_name, keyword, rewrite_call

TF_ROOTS = ("tf",)


def _module_prefix(call: cst.Call) -> str:
    """``tf`` for ``tf.math.sign``, ``keras.ops`` for ``keras.ops.sign``, ``ops`` for ``ops.sign``."""
    name = dotted_name(call.func)
    parts = name.split(".")[:-1]
    if not parts:
        return ""
    if parts[0] in TF_ROOTS or parts[0] == "tensorflow":
        return parts[0]
    return ".".join(parts)


def _first_arg(call: cst.Call, name: str) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None and arg.star == ""]
    if positional:
        return positional[0].value
    found = keyword(call, name)
    return found.value if found else None


def _atom(code: str, node: cst.BaseExpression) -> str:
    simple = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)
    return code if isinstance(node, simple) or node.lpar else f"({code})"


def straight_through_at(source: str, line: int, callees: tuple[str, ...]) -> str | None:
    """Wrap the first call of one of ``callees`` on ``line`` in a straight-through estimator."""

    def rewrite(call: cst.Call) -> cst.BaseExpression | None:
        prefix = _module_prefix(call)
        inner = _first_arg(call, "x")
        if not prefix or inner is None:
            return None
        x = _atom(code_of(inner), inner)
        return cst.parse_expression(f"({x} + {prefix}.stop_gradient({code_of(call)} - {x}))")

    return rewrite_call(source, line, callee_is(*callees), rewrite)


def soft_argmax_at(source: str, line: int) -> str | None:
    """Replace ``argmax(q, axis)`` on ``line`` by ``sum(softmax(q) * range(n))`` along the same axis."""

    def rewrite(call: cst.Call) -> cst.BaseExpression | None:
        prefix = _module_prefix(call)
        inner = _first_arg(call, "input") or _first_arg(call, "x")
        if not prefix or inner is None:
            return None
        axis_arg = keyword(call, "axis")
        positional = [arg for arg in call.args if arg.keyword is None]
        axis = code_of(axis_arg.value) if axis_arg else (code_of(positional[1].value) if len(positional) > 1 else None)
        tensorflow = prefix in TF_ROOTS or prefix == "tensorflow"
        if axis is None or axis == "None":
            if not tensorflow:
                return None  # keras.ops.argmax without an axis flattens: no same-shaped surrogate
            axis = "0"
        q = _atom(code_of(inner), inner)
        if tensorflow:
            code = (f"{prefix}.reduce_sum({prefix}.nn.softmax({q}, axis={axis}) * "
                    f"{prefix}.cast({prefix}.range({prefix}.shape({q})[{axis}]), {q}.dtype), axis={axis})")
        else:
            code = (f"{prefix}.sum({prefix}.softmax({q}, axis={axis}) * "
                    f"{prefix}.cast({prefix}.arange({prefix}.shape({q})[{axis}]), {q}.dtype), axis={axis})")
        return cst.parse_expression(code)

    return rewrite_call(source, line, callee_is("argmax"), rewrite)
