"""reviewlab: a self-hosted AI code review lab."""

__version__ = "0.1.0"
