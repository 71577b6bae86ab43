"""A built wheel installs the prebuilt labextension: no Node.js needed by the user.

Builds the wheel from this checkout (the build may use Node; with the extension already
built in ``gradmagic/_labextension`` it reuses it), installs it with its dependencies into a
fresh virtual environment whose PATH holds nothing but that environment, and asks that
environment's ``jupyter labextension list`` whether gradmagic is enabled.
"""

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_wheel_installs_enabled_labextension_without_node(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)], timeout=900)
    wheels = list(dist.glob("gradmagic-*.whl"))
    assert len(wheels) == 1, wheels

    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    try:
        _check_fresh_install(env_dir, wheels[0], tmp_path)
    finally:
        shutil.rmtree(env_dir, ignore_errors=True)  # TensorFlow included: gigabytes


def _check_fresh_install(env_dir: Path, wheel: Path, tmp_path: Path) -> None:
    bin_dir = env_dir / "bin"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env["PATH"] = str(bin_dir)
    env["HOME"] = str(tmp_path / "home")
    assert shutil.which("node", path=env["PATH"]) is None
    assert shutil.which("jlpm", path=env["PATH"]) is None

    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), "jupyterlab==4.6.6"],
         env=env, timeout=1800)
    assert shutil.which("node", path=env["PATH"]) is None

    listing = _run([str(bin_dir / "jupyter"), "labextension", "list"], env=env, timeout=120)
    text = ANSI.sub("", listing.stdout + listing.stderr)
    assert str(env_dir / "share" / "jupyter" / "labextensions") in text, text
    assert re.search(r"^\s*gradmagic v\S+ enabled\s+OK \(python, gradmagic\)", text, re.MULTILINE), text
    installed = env_dir / "share" / "jupyter" / "labextensions" / "gradmagic"
    assert (installed / "install.json").is_file()
    assert list((installed / "static").glob("remoteEntry.*.js"))
