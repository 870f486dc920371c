"""The project rules: reported by the project-wide analyses (``reviewlab.engine.crossfile``), not per file.

Their metadata lives with their analyses; registering them here gives them ids, documentation, and
``select``/``ignore``/severity configuration like every other rule.
"""

from __future__ import annotations

from reviewlab.engine.architecture.rules import RULES as ARCHITECTURE_RULES
from reviewlab.engine.clones import RULES as CLONE_RULES

RULES = CLONE_RULES + ARCHITECTURE_RULES
