"""Where the arrays passed to ``fit`` are written in the checked source.

Data faults are reported at the line that produces the offending array: the last statement
before the ``fit`` call that assigns or mutates the variable passed to it (``x = np.load(...)``,
``x[0, 0] = np.nan``). A ``tf.data`` pipeline built with ``from_tensor_slices((x, y))`` is
followed back to ``x`` and ``y``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from gradmagic.evidence.facts.data import DataOrigin

FIT_METHODS = ("fit", "train_on_batch")


def _fit_call(tree: ast.Module, line: int) -> ast.Call | None:
    best: ast.Call | None = None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in FIT_METHODS and node.lineno <= line <= (node.end_lineno or node.lineno)):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def fit_call(tree: ast.Module | None, line: int | None) -> ast.Call | None:
    """The ``.fit(...)`` call spanning ``line``."""
    return _fit_call(tree, line) if tree is not None and line is not None else None


def _root_name(node: ast.AST) -> str | None:
    """``x`` for ``x``, ``x[:, None]``, ``x.astype(...)``, ``x.values``; None otherwise."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return None


def _scope_statements(tree: ast.Module, fit_line: int, name: str) -> list[ast.stmt]:
    """Statements of the function around the fit call if it binds ``name``, else of the module."""
    functions = [node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and node.lineno <= fit_line <= (node.end_lineno or node.lineno)]
    for function in sorted(functions, key=lambda f: -f.lineno):
        params = {a.arg for a in function.args.args + function.args.kwonlyargs + function.args.posonlyargs}
        statements = _statements(function.body)
        if name in params or any(_binds(s, name) for s in statements):
            return statements
    return _statements(tree.body)


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement of ``body`` including nested blocks, but not nested functions or classes."""
    found: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        found.append(statement)
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list):
                found.extend(_statements([s for s in inner if isinstance(s, ast.stmt)]))
                for handler in inner:
                    if isinstance(handler, ast.ExceptHandler):
                        found.extend(_statements(handler.body))
    return found


def _target_names(target: ast.AST) -> set[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_names(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    root = _root_name(target)
    return {root} if root else set()


def _binds(statement: ast.stmt, name: str) -> bool:
    if isinstance(statement, ast.Assign):
        return any(name in _target_names(t) for t in statement.targets)
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        return name in _target_names(statement.target)
    return False


def _assignments(tree: ast.Module, fit_line: int, name: str) -> list[ast.stmt]:
    statements = _scope_statements(tree, fit_line, name)
    return sorted((s for s in statements if s.lineno < fit_line and _binds(s, name)), key=lambda s: s.lineno)


def last_assignment(tree: ast.Module, fit_line: int, name: str) -> ast.stmt | None:
    """The last statement before ``fit_line`` that assigns or mutates ``name``."""
    found = _assignments(tree, fit_line, name)
    return found[-1] if found else None


def _slices_call(statement: ast.stmt) -> ast.Call | None:
    value = getattr(statement, "value", None)
    if value is None:
        return None
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("from_tensor_slices", "from_tensors") and node.args:
            return node
    return None


def _through_dataset(tree: ast.Module, fit_line: int, name: str) -> list[ast.AST] | None:
    """The element expressions of ``from_tensor_slices((x, y))`` that built dataset ``name``."""
    for statement in reversed(_assignments(tree, fit_line, name)[-5:]):
        call = _slices_call(statement)
        if call is not None:
            first = call.args[0]
            return list(first.elts) if isinstance(first, (ast.Tuple, ast.List)) else [first]
    return None


# Calls and methods that only copy, cast or reshape an array: its values come from their argument.
COPYING_CALLS = frozenset("array asarray ascontiguousarray asanyarray copy float32 float64 float16 int32 int64 "
                          "convert_to_tensor constant".split())
COPYING_METHODS = frozenset("astype copy reshape squeeze flatten ravel to_numpy numpy transpose".split())


def copied_name(node: ast.AST) -> str | None:
    """``m`` when ``node`` only copies, casts, slices or reshapes the array ``m``; None otherwise."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute) and node.attr in ("values", "T"):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in COPYING_METHODS and not _is_module(node.func.value):
            node = node.func.value  # x.astype("float32"), x.reshape(-1, 1)
        elif isinstance(node, ast.Call) and _callee(node) in COPYING_CALLS and len(node.args) == 1:
            node = node.args[0]
        else:
            return None


def _is_module(node: ast.AST) -> bool:
    """``np``, ``tf``, ``keras.ops``: a module, whose ``copy(x)`` is a call and not a method."""
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in ("np", "numpy", "tf", "tensorflow", "keras", "ops", "pd")


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def trace_back(tree: ast.Module, fit_line: int, name: str) -> tuple[str, ast.stmt | None, list[tuple[int, str]]]:
    """Follow ``name`` back through plain copies and casts to the statement that makes its values.

    ``y = outcome.astype("float32")`` only copies ``outcome``: the values are introduced where
    ``outcome`` is assigned. Returns the introducing name, its statement and the copies passed.
    """
    chain: list[tuple[int, str]] = []
    before = fit_line
    statement = last_assignment(tree, before, name)
    for _ in range(10):
        value = getattr(statement, "value", None) if isinstance(statement, ast.Assign) else None
        source_name = copied_name(value) if value is not None else None
        if source_name is None:
            break
        earlier = last_assignment(tree, statement.lineno, source_name)
        if earlier is None:
            break
        chain.append((statement.lineno, ast.unparse(statement)))
        name, statement = source_name, earlier
    return name, statement, chain


def _origin(tree: ast.Module, fit_line: int, argument: str, node: ast.AST, via: str | None = None) -> DataOrigin:
    name = _root_name(node)
    origin = DataOrigin(argument=argument, expression=ast.unparse(node), name=name, via=via,
                        argument_is_name=isinstance(node, ast.Name))
    if name is not None:
        own = last_assignment(tree, fit_line, name)
        origin.argument_line = own.lineno if own is not None else None
        origin.name, statement, origin.chain = trace_back(tree, fit_line, name)
        origin.line = statement.lineno if statement is not None else None
    return origin


def _expand(tree: ast.Module, fit_line: int, argument: str, node: ast.AST, via: str | None = None) -> list[DataOrigin]:
    """One origin per array: list/tuple/dict literals give ``x[0]``, ``x['a']``."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_origin(tree, fit_line, f"{argument}[{i}]", element, via) for i, element in enumerate(node.elts)]
    if isinstance(node, ast.Dict):
        return [_origin(tree, fit_line, f"{argument}[{ast.unparse(key)}]", value, via)
                for key, value in zip(node.keys, node.values) if key is not None]
    return [_origin(tree, fit_line, argument, node, via)]


def data_origins(tree: ast.Module | None, fit_line: int | None) -> dict[str, DataOrigin]:
    """``{"x": DataOrigin, "y": ...}`` for the fit call spanning ``fit_line`` (empty if unknown)."""
    call = fit_call(tree, fit_line)
    if call is None:
        return {}
    arguments: dict[str, ast.AST] = {}
    for argument, node in zip(("x", "y"), call.args):
        arguments[argument] = node
    for keyword in call.keywords:
        if keyword.arg in ("x", "y"):
            arguments[keyword.arg] = keyword.value
    origins: dict[str, DataOrigin] = {}
    x = arguments.get("x")
    if x is not None and "y" not in arguments and isinstance(x, ast.Name):
        elements = _through_dataset(tree, call.lineno, x.id)
        if elements:
            for argument, element in zip(("x", "y"), elements):
                for origin in _expand(tree, call.lineno, argument, element, via=x.id):
                    origins[origin.argument] = origin
            return origins
    for argument, node in arguments.items():
        for origin in _expand(tree, call.lineno, argument, node):
            origins[origin.argument] = origin
    return origins


DATASET_SOURCES = ("from_tensor_slices", "from_tensors", "from_generator", "zip")


def dataset_source(tree: ast.Module | None, fit_line: int | None) -> tuple[int, ast.Call] | None:
    """The ``tf.data.Dataset.from_tensor_slices(...)`` call (and its line) that made the dataset
    passed to ``fit``, followed back through ``ds = ds.shuffle(...).batch(...)`` reassignments."""
    call = fit_call(tree, fit_line)
    if call is None or not call.args or not isinstance(call.args[0], ast.Name):
        return None
    name, before = call.args[0].id, call.lineno
    for _ in range(10):
        statement = last_assignment(tree, before, name)
        value = getattr(statement, "value", None)
        if value is None:
            return None
        for node in ast.walk(value):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in DATASET_SOURCES and node.args:
                return statement.lineno, node
        name = _root_name(value)
        if name is None:
            return None
        before = statement.lineno
    return None


def names_assigned_before(tree: ast.Module | None, line: int) -> list[str]:
    """Module-level names assigned before ``line``, in order of their first assignment."""
    names: list[str] = []
    for statement in _statements(tree.body) if tree is not None else []:
        if statement.lineno >= line or not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            for name in sorted(_target_names(target)):
                if name not in names:
                    names.append(name)
    return names


SHUFFLES = ("permutation", "shuffle")


@dataclass
class Shuffle:
    """A statement that shuffles one of the arrays passed to ``fit`` on its own."""

    line: int
    name: str  # the array it shuffles
    generator: str  # the code of the random generator: ``rng``, ``np.random``
    in_place: bool  # ``rng.shuffle(x)`` rather than ``x = rng.permutation(x)``


def separate_shuffles(tree: ast.Module | None, fit_line: int | None, names: list[str]) -> list[Shuffle]:
    """``x = rng.permutation(x)`` / ``rng.shuffle(y)`` before ``fit``: each array shuffled by its own
    call, so the rows of ``x`` and ``y`` no longer belong together."""
    if tree is None or fit_line is None:
        return []
    found = []
    for statement in _statements(tree.body):
        if statement.lineno >= fit_line:
            continue
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SHUFFLES and len(node.args) == 1 and isinstance(node.args[0], ast.Name)
                    and node.args[0].id in names):
                continue
            found.append(Shuffle(statement.lineno, node.args[0].id, ast.unparse(node.func.value),
                                 node.func.attr == "shuffle"))
    shuffled = {item.name for item in found}
    if len(shuffled) >= 2:
        return found
    if len(shuffled) == 1 and len(names) == 2:  # one array reordered, the other left as it was made before
        other = next(name for name in names if name not in shuffled)
        made = last_assignment(tree, fit_line, other)
        if made is not None and made.lineno < found[0].line:
            return found
    return []
