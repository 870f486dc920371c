"""The append-only, hash-chained audit log (``audits.audit_log``)."""

from reviewlab.audit.chain import GENESIS, Problem, VerifyResult, row_hash
from reviewlab.audit.log import AuditLog, AuditRecord, verify

__all__ = ["GENESIS", "AuditLog", "AuditRecord", "Problem", "VerifyResult", "row_hash", "verify"]
