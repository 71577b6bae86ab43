"""What the widget and the static record share: colours, code frames, JSON-safe values."""

from __future__ import annotations

import math
from typing import Any

# Gradient norm on a log scale, low to high (viridis stops).
SCALE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
         "#b5de2b", "#fde725"]

STATE_STYLES: dict[str, dict[str, str]] = {
    "ok": {"fill": SCALE[5], "stroke": "#333333", "dash": "", "label": "gradient |g| (log scale)"},
    "none": {"fill": "#ffffff", "stroke": "#d62728", "dash": "6 3", "label": "no gradient"},
    "partial": {"fill": "#fbd5d5", "stroke": "#d62728", "dash": "6 3", "label": "some weights get no gradient"},
    "zero": {"fill": "#d9d9d9", "stroke": "#636363", "dash": "2 2", "label": "gradient exactly 0"},
    "nan": {"fill": "#ff1fa9", "stroke": "#7a0050", "dash": "", "label": "NaN / Inf"},
    "frozen": {"fill": "#cfe0f3", "stroke": "#2b5c9e", "dash": "1 3", "label": "frozen (trainable=False)"},
    "connected": {"fill": "#e5f5e0", "stroke": "#31a354", "dash": "", "label": "connected (not measured)"},
    "unknown": {"fill": "#f0f0f0", "stroke": "#969696", "dash": "", "label": "not probed"},
    "passive": {"fill": "#fafafa", "stroke": "#bdbdbd", "dash": "", "label": "no weights"},
    "loss": {"fill": "#fff3c4", "stroke": "#b8860b", "dash": "", "label": "loss"},
}
CUT_COLOR = "#d62728"


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def scale_color(norm: float, low: float, high: float) -> str:
    """The colour of a gradient norm between the model's smallest and largest (log scale)."""
    if norm <= 0 or low <= 0 or high <= low:
        return SCALE[-1] if norm > 0 else SCALE[0]
    t = (math.log10(norm) - math.log10(low)) / (math.log10(high) - math.log10(low))
    return SCALE[min(len(SCALE) - 1, max(0, round(t * (len(SCALE) - 1))))]


def node_style(item: dict[str, Any], value_range: dict[str, float] | None) -> dict[str, str]:
    """Fill, stroke, dash pattern and text colour for a node or group of the flow graph."""
    state = item.get("state", "unknown")
    style = dict(STATE_STYLES.get(state, STATE_STYLES["unknown"]))
    norm = item.get("norm")
    if state == "ok" and isinstance(norm, (int, float)) and math.isfinite(norm) and value_range:
        style["fill"] = scale_color(norm, value_range["min"], value_range["max"])
    style["text"] = "#ffffff" if _luminance(style["fill"]) < 0.45 else "#1a1a1a"
    style.pop("label", None)
    return style


def legend(graph: dict[str, Any]) -> dict[str, Any]:
    """The scale (when norms were measured) and the states present in the graph."""
    present = {n["state"] for n in graph["nodes"]} | {g["state"] for g in graph.get("groups", [])}
    states = [{"state": state, **STATE_STYLES[state]} for state in STATE_STYLES
              if state in present and state != "ok"]
    value_range = graph.get("range")
    scale = {"min": value_range["min"], "max": value_range["max"], "stops": SCALE} if value_range else None
    return {"scale": scale, "states": states, "cut": CUT_COLOR}


def frame_rows(lines: list[str], line: int | None, context: int = 2) -> list[dict[str, Any]]:
    """Numbered lines around ``line`` (1-based), the line itself flagged: a code frame."""
    if line is None or not 1 <= line <= len(lines):
        return []
    first, last = max(1, line - context), min(len(lines), line + 1)
    return [{"n": n, "text": lines[n - 1].rstrip(), "hit": n == line} for n in range(first, last + 1)]


def jsonable(value: Any) -> Any:
    """A copy of ``value`` that strict JSON accepts: NaN/Inf as strings, NumPy scalars as numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    for cast in (int, float):
        try:
            as_python = cast(value)
        except (TypeError, ValueError):
            continue
        if as_python == value or (isinstance(as_python, float) and math.isnan(as_python)):
            return jsonable(as_python)
    return str(value)
