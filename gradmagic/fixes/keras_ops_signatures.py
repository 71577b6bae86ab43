"""The parameter names of the ``keras.ops`` functions that a NumPy call may be rewritten to.

A static table, so that a rule can check a rewrite's keywords without importing Keras;
``tests/test_keras_ops_table.py`` compares it with the installed ``keras.ops``.
"""

from __future__ import annotations

KERAS_OPS_PARAMETERS: dict[str, tuple[str, ...]] = {
    "abs": ('x',),
    "absolute": ('x',),
    "add": ('x1', 'x2'),
    "amax": ('x', 'axis', 'keepdims'),
    "amin": ('x', 'axis', 'keepdims'),
    "arctan": ('x',),
    "argmax": ('x', 'axis', 'keepdims'),
    "argmin": ('x', 'axis', 'keepdims'),
    "average": ('x', 'axis', 'weights'),
    "ceil": ('x',),
    "clip": ('x', 'x_min', 'x_max'),
    "concatenate": ('xs', 'axis'),
    "cos": ('x',),
    "cosh": ('x',),
    "cumsum": ('x', 'axis', 'dtype'),
    "divide": ('x1', 'x2'),
    "dot": ('x1', 'x2'),
    "einsum": ('subscripts', 'operands', 'kwargs'),
    "exp": ('x',),
    "expand_dims": ('x', 'axis'),
    "expm1": ('x',),
    "floor": ('x',),
    "log": ('x',),
    "log10": ('x',),
    "log1p": ('x',),
    "log2": ('x',),
    "logaddexp": ('x1', 'x2'),
    "matmul": ('x1', 'x2'),
    "max": ('x', 'axis', 'keepdims', 'initial'),
    "maximum": ('x1', 'x2'),
    "mean": ('x', 'axis', 'keepdims'),
    "median": ('x', 'axis', 'keepdims'),
    "min": ('x', 'axis', 'keepdims', 'initial'),
    "minimum": ('x1', 'x2'),
    "mod": ('x1', 'x2'),
    "multiply": ('x1', 'x2'),
    "negative": ('x',),
    "outer": ('x1', 'x2'),
    "power": ('x1', 'x2'),
    "prod": ('x', 'axis', 'keepdims', 'dtype'),
    "repeat": ('x', 'repeats', 'axis'),
    "reshape": ('x', 'newshape'),
    "round": ('x', 'decimals'),
    "sign": ('x',),
    "sin": ('x',),
    "sinh": ('x',),
    "sqrt": ('x',),
    "square": ('x',),
    "squeeze": ('x', 'axis'),
    "stack": ('x', 'axis'),
    "std": ('x', 'axis', 'keepdims'),
    "subtract": ('x1', 'x2'),
    "sum": ('x', 'axis', 'keepdims'),
    "tanh": ('x',),
    "tile": ('x', 'repeats'),
    "transpose": ('x', 'axes'),
    "true_divide": ('x1', 'x2'),
    "var": ('x', 'axis', 'keepdims'),
    "where": ('condition', 'x1', 'x2'),
}


def accepts_keywords(name: str, keywords: set[str]) -> bool:
    """Whether ``keras.ops.<name>`` takes every one of ``keywords`` (False for a function not listed)."""
    parameters = KERAS_OPS_PARAMETERS.get(name)
    return parameters is not None and keywords <= set(parameters)
