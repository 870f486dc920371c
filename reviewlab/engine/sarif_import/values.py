"""Reading values out of an untrusted SARIF log: each helper answers an empty value for one of the wrong type."""

from __future__ import annotations

from typing import Any

JSONObject = dict[str, Any]


def obj(value: Any) -> JSONObject:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def array(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def integer(value: Any) -> int | None:
    """``value`` when it is an integer (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def text(message: JSONObject) -> str:
    """The text of a SARIF message or multiformat string: its ``text``, else its ``markdown``, else ""."""
    for key in ("text", "markdown"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
