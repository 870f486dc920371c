"""The append-only, hash-chained audit log (``audits.audit_log``), sealed by a key and an anchor outside it."""

from reviewlab.audit.chain import GENESIS, Problem, VerifyResult, row_hash
from reviewlab.audit.log import AuditLog, AuditRecord, verify
from reviewlab.audit.seal import Anchor, AnchorInvalid, ChainSeal

__all__ = [
    "GENESIS",
    "Anchor",
    "AnchorInvalid",
    "AuditLog",
    "AuditRecord",
    "ChainSeal",
    "Problem",
    "VerifyResult",
    "row_hash",
    "verify",
]
