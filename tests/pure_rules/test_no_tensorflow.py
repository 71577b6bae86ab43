"""The pure rule tests need no TensorFlow: every module here imports without loading it."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_the_pure_rule_tests_import_neither_tensorflow_nor_keras():
    modules = sorted(path.stem for path in HERE.glob("*.py") if path.stem != "test_no_tensorflow")
    code = ("import sys, importlib\n"
            f"sys.path[:0] = [{str(HERE)!r}, {str(HERE.parent)!r}]\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "loaded = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
            "print(loaded)\n"
            "sys.exit(1 if loaded else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(modules) >= 3, modules
