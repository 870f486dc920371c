"""Other tools' SARIF 2.1.0 logs as findings, merged with reviewlab's own (``reviewlab review PATH --import FILE``).

Each result of each run becomes a ``Finding`` whose rule id is ``<tool>:<ruleId>`` (``ruff:F401``,
``bandit:B602``, ``semgrep:python.lang.security...``, ``eslint:no-eval``), placed in a file under the review
root, with a CWE, category, severity and message mapped from the result and its rule, a redacted snippet and
a fingerprint like reviewlab's own. ``apply_config`` applies the project's ``ignore``, ``select`` (only the
entries with a ":"), ``exclude``/``include`` and ``[reviewlab.severity]`` to them; ``merge_findings`` drops
imported findings that repeat one already kept (see ``is_duplicate``).

Modules: ``load`` reads a log and imports each run (``load_sarif``, ``ImportedReport``); ``locate`` resolves
artifact URIs to paths under the root, regions to spans, and reads the files' lines; ``mapping`` maps a
result's rule id, CWE, severity, category, message, code flow and related locations; ``configured`` applies the
project's configuration; ``merge`` de-duplicates against the findings already kept; ``values`` reads untrusted
JSON values.
"""

from reviewlab.engine.sarif_import.configured import apply_config
from reviewlab.engine.sarif_import.load import MAX_RULE_ID, SARIF_VERSION, ImportedReport, load_sarif
from reviewlab.engine.sarif_import.mapping import LEVEL_SEVERITY, tool_prefix
from reviewlab.engine.sarif_import.merge import is_duplicate, merge_findings

__all__ = [
    "LEVEL_SEVERITY",
    "MAX_RULE_ID",
    "SARIF_VERSION",
    "ImportedReport",
    "apply_config",
    "is_duplicate",
    "load_sarif",
    "merge_findings",
    "tool_prefix",
]
