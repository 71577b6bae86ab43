"""The prebuilt labextension is built, shipped and enabled in this environment."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_labextension_is_listed_enabled_ok():
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [str(jupyter), "labextension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The listing goes to stderr and colours `enabled`/`OK` with ANSI escapes.
    listing = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, listing
    assert re.search(r"gradmagic .* enabled .*OK", listing, re.MULTILINE), listing


def test_built_labextension_names_gradmagic():
    package_json = ROOT / "gradmagic" / "_labextension" / "package.json"
    assert package_json.is_file(), f"{package_json} is missing: run ./dev.sh setup"
    data = json.loads(package_json.read_text())
    assert data["name"] == "gradmagic"
    # Written by the builder, not copied from the source package.json.
    assert data["jupyterlab"]["_build"]["load"].startswith("static/remoteEntry.")
