"""The package's layers: each imports only the layers below it, and no module imports itself back.

    core      the Keras/TF adapter, source mapping, tracebacks, error text: nothing of ours
    capture   what wrapping ``fit`` needs (warnings, traceback filter, creation lines)
    evidence  measuring: plain data about one ``fit``
    report    Finding / Report (the contract), its one writer, the flow graph
    fixes     libcst edits and their diffs
    rules     one detector per code: pure functions of the evidence
    views     text, record and widget: read the report only
    pipeline  ``check()`` and script runs: capture -> evidence -> rules -> report
    (top)     ``gradmagic``, ``magics``, ``cli``, ``__main__``

Lazy imports inside functions count: they are imports all the same.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import gradmagic

PACKAGE = Path(gradmagic.__file__).parent
LAYERS = ["core", "capture", "evidence", "report", "fixes", "rules", "views", "pipeline", "(top)"]
#: what a pure rule must never reach for: live Keras/TF objects come to it as plain evidence
RULES_MUST_NOT_IMPORT = ("tensorflow", "keras", "gradmagic.core.keras_adapter", "gradmagic.capture",
                         "gradmagic.pipeline")


def _module_name(path: Path) -> str:
    parts = ("gradmagic", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return "(top)"


def _imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (relative imports resolved)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # ``from pkg import module``
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {imported for imported in _imports(path, name) if imported in modules and imported != name}
            for name, path in modules.items()}


def test_every_package_imports_only_the_layers_below_it():
    wrong = []
    for module, imported in _graph().items():
        for target in imported:
            if LAYERS.index(_layer(target)) > LAYERS.index(_layer(module)):
                wrong.append(f"{module} ({_layer(module)}) imports {target} ({_layer(target)})")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))


def test_no_module_imports_itself_back():
    graph = _graph()
    cycles, state = [], defaultdict(int)  # 0 new, 1 on the path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state[target] == 1:
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif state[target] == 0:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if state[module] == 0:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_rules_import_neither_tensorflow_nor_keras_nor_the_capture():
    wrong = []
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        for imported in _imports(path, _module_name(path)):
            if any(imported == banned or imported.startswith(banned + ".") for banned in RULES_MUST_NOT_IMPORT):
                wrong.append(f"{path.name} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_the_layering_test_sees_a_wrong_import(tmp_path):
    """The walk itself: an upward import written into a scratch copy of a module is found."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from gradmagic.rules.registry import RULES\n")
    assert "gradmagic.rules.registry" in _imports(probe, "gradmagic.core.probe")
    assert LAYERS.index(_layer("gradmagic.rules.registry")) > LAYERS.index(_layer("gradmagic.core.probe"))
