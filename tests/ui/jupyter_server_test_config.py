"""Jupyter server configuration for the gradmagic browser tests (Galata).

Opens every security door (no token, no XSRF check, root allowed): for tests only.
The port comes from ``GRADMAGIC_UI_PORT`` (default 8917, not Jupyter's 8888, so that a
server someone is already running on this machine does not get in the way).
"""

# ruff: noqa: F821 - `c` is the config object Jupyter passes in
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)

c.ServerApp.port = int(os.environ.get("GRADMAGIC_UI_PORT", "8917"))
# CI containers run as root.
c.ServerApp.allow_root = True
