"""A real IPython kernel driven through jupyter_client, as JupyterLab drives it.

Execute requests carry ``metadata.cellId`` as JupyterLab sends it; every iopub message of the
request is kept, in order, as ``(msg_type, content)``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[1]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TIMEOUT = 240
KEPT = ("stream", "display_data", "update_display_data", "execute_result", "error", "comm_open", "comm_msg")


@contextlib.contextmanager
def running_kernel(setup: str, **env: str) -> Iterator[Any]:
    """A fresh kernel in the repository root that has run ``setup``; shut down afterwards."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env,
                       PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=TIMEOUT, env=environment,
                                       cwd=str(ROOT))
    try:
        reply, _ = execute(client, setup, cell_id=None)
        assert reply["status"] == "ok", reply
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client: Any, code: str, cell_id: str | None = "abc") -> tuple[dict, list[tuple[str, dict]]]:
    """Run ``code``; return the execute_reply content and the iopub outputs as (msg_type, content)."""
    msg = client.session.msg(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
         "stop_on_error": True},
        metadata={"cellId": cell_id} if cell_id else {},
    )
    client.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    outputs = []
    while True:
        message = client.get_iopub_msg(timeout=TIMEOUT)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "status" and message["content"]["execution_state"] == "idle":
            break
        if kind in KEPT:
            outputs.append((kind, message["content"]))
    while True:
        reply = client.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], outputs
