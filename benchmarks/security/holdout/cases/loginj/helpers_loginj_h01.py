"""Log-safe rendering of values that came from a request."""


def clean_for_log(value: str) -> str:
    return value.replace("\r", "\\r").replace("\n", "\\n")
