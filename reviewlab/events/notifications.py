"""Email notifications: the consumer group ``notifications`` turns domain events into mails.

- ``gate.failed``: to the owners and maintainers of the analysis's project (active accounts), or to the
  analysis owner when it has no project. Subject: the project and the failing conditions; body: a link to the
  analysis (``REVIEWLAB_PUBLIC_URL`` + ``/api/analyze/{id}``) and its finding counts by severity.
- ``model.promoted`` / ``model.quarantined``: to every active admin and experimenter. Subject: the model and
  its stage change; body: the reason and the evidence (F1 before/after of a promotion, the breaches of a
  quarantine), read from the lifecycle's promotion or quarantine record.

Other event types are acknowledged without a mail. A failure (the mailer, the store) is logged and leaves the
message unacknowledged, so the next pass gets it again, up to ``MAX_DELIVERIES`` attempts in all; then the
message is given up (kept in ``production.event_dead_letters`` to be replayed, then acknowledged, logged as an
error and counted). A pass never raises.
Recipients already mailed for an event by this notifier are not mailed again when the message comes back
(remembered in memory only: after a restart, a partially mailed event may reach some recipients twice —
delivery is at least once). Each mail counts in ``reviewlab_notifications_total{outcome="sent"|"failed"}``.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, select

from reviewlab.accounts.models import Role, UserRow
from reviewlab.events.bus import MAX_DELIVERIES, STALE_MS, EventBus, GroupConsumer, Message
from reviewlab.events.deadletters import DeadLetters
from reviewlab.events.model import GATE_FAILED, MODEL_PROMOTED, MODEL_QUARANTINED, DomainEvent
from reviewlab.events.webhooks import default_consumer
from reviewlab.jobs.db import prepared, reading, table_of
from reviewlab.lifecycle.models import PromotionRow, QuarantineRecordRow
from reviewlab.mail import MAX_SUBJECT, InvalidMail, Mail, Mailer, mailer_from_settings
from reviewlab.observability.metrics import Instruments, instruments
from reviewlab.projects.models import MemberRow, ProjectRole, ProjectRow
from reviewlab.settings import Settings
from reviewlab.store.models import AnalysisSession

log = logging.getLogger(__name__)
GROUP = "notifications"
SEVERITIES = ("critical", "high", "medium", "low", "info")
MAX_REMEMBERED = 10_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

USERS = table_of(UserRow)
MEMBERS = table_of(MemberRow)
PROJECTS = table_of(ProjectRow)
SESSIONS = table_of(AnalysisSession)
PROMOTIONS = table_of(PromotionRow)
RECORDS = table_of(QuarantineRecordRow)


class EmailNotifications(GroupConsumer):
    """Consumer group ``notifications``: each handled event's mails are sent, then the message is acknowledged;
    a message whose mails still fail on its ``max_deliveries``-th attempt is given up (``GroupConsumer``)."""

    action = "send the notifications of"

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        mailer: Mailer,
        *,
        public_url: str,
        consumer: str | None = None,
        group: str = GROUP,
        stale_ms: int = STALE_MS,
        max_deliveries: int | None = MAX_DELIVERIES,
        instruments: Instruments | None = None,
    ) -> None:
        super().__init__(
            bus,
            group=group,
            consumer=consumer or default_consumer(),
            stale_ms=stale_ms,
            max_deliveries=max_deliveries,
            logger=log,
            instruments=instruments,
            dead_letters=DeadLetters(engine),
        )
        self.engine = prepared(engine)
        self.mailer = mailer
        self.public_url = public_url.rstrip("/")
        self._sent: OrderedDict[tuple[str, str], None] = OrderedDict()

    @classmethod
    def from_settings(
        cls,
        engine: Engine,
        bus: EventBus,
        settings: Settings,
        *,
        consumer: str | None = None,
        mailer: Mailer | None = None,
        instruments: Instruments | None = None,
    ) -> EmailNotifications:
        return cls(
            engine,
            bus,
            mailer if mailer is not None else mailer_from_settings(settings),
            public_url=settings.reviewlab_public_url,
            consumer=consumer,
            instruments=instruments,
        )

    def handle(self, message: Message) -> None:
        event = message.event
        if event is None:
            return  # unreadable: acknowledged and dropped (logged by the bus)
        if event.type == GATE_FAILED:
            mails = self._gate_failed(event)
        elif event.type in (MODEL_PROMOTED, MODEL_QUARANTINED):
            mails = self._model_changed(event)
        else:
            return
        metrics = self.instruments or instruments()
        for to, subject, text in mails:
            key = (event.id, to)
            if key in self._sent:
                continue  # a re-delivered message: this one went out already
            try:
                mail = Mail(to=to, subject=subject, text=text)
            except InvalidMail as err:
                log.warning("not notifying %r of %s event %s: %s", to, event.type, event.id, err)
                continue
            try:
                self.mailer.send(mail)
            except Exception:
                metrics.notification("failed")
                raise
            metrics.notification("sent")
            self._remember(key)

    def _remember(self, key: tuple[str, str]) -> None:
        self._sent[key] = None
        while len(self._sent) > MAX_REMEMBERED:
            self._sent.popitem(last=False)

    # -- gate.failed ----------------------------------------------------------------------------------------

    def _gate_failed(self, event: DomainEvent) -> list[tuple[str, str, str]]:
        analysis_id = event.subject_id
        with reading(self.engine, "reading a failed gate's analysis") as connection:
            session = connection.execute(
                select(SESSIONS.c.owner_id, SESSIONS.c.project_id, SESSIONS.c.counts_by_severity).where(
                    SESSIONS.c.id == analysis_id
                )
            ).first()
            owner_id = event.actor if session is None else session.owner_id
            project_id = None if session is None else session.project_id
            project = None
            if project_id is not None:
                project = connection.execute(select(PROJECTS.c.name).where(PROJECTS.c.id == project_id)).first()
            if project is not None:
                roles = (ProjectRole.OWNER.value, ProjectRole.MAINTAINER.value)
                query = (
                    select(USERS.c.email)
                    .join(MEMBERS, MEMBERS.c.user_id == USERS.c.id)
                    .where(MEMBERS.c.project_id == project_id, MEMBERS.c.role.in_(roles), USERS.c.is_active.is_(True))
                )
            else:
                query = select(USERS.c.email).where(USERS.c.id == owner_id, USERS.c.is_active.is_(True))
            recipients = sorted(set(connection.execute(query).scalars()))
        if not recipients:
            log.info("gate.failed for analysis %s: nobody to notify", analysis_id)
            return []
        gate = event.data.get("gate") or {}
        failing = [c for c in gate.get("conditions") or [] if isinstance(c, Mapping) and not c.get("passed")]
        where = f"project {project.name}" if project is not None else f"analysis {analysis_id[:8]}"
        subject = f"[ReviewLab] Quality gate failed in {where}: " + (
            "; ".join(_condition(c) for c in failing) or "the gate did not pass"
        )
        counts = {} if session is None else dict(session.counts_by_severity or {})
        lines = [
            f"The quality gate failed for an analysis of {where}.",
            "",
            f"Analysis: {self.public_url}/api/analyze/{analysis_id}",
            "",
            "Failing conditions:",
            *([f"  - {_condition(c)}" for c in failing] or ["  (none named)"]),
            "",
            "Findings by severity:",
            *_counts(counts),
        ]
        return [(to, _subject(subject), "\n".join(lines) + "\n") for to in recipients]

    # -- model.promoted / model.quarantined -----------------------------------------------------------------

    def _model_changed(self, event: DomainEvent) -> list[tuple[str, str, str]]:
        data = event.data
        promoted = event.type == MODEL_PROMOTED
        with reading(self.engine, "reading a lifecycle transition's evidence") as connection:
            recipients = sorted(
                set(
                    connection.execute(
                        select(USERS.c.email).where(
                            USERS.c.role.in_((Role.ADMIN.value, Role.EXPERIMENTER.value)), USERS.c.is_active.is_(True)
                        )
                    ).scalars()
                )
            )
            if not recipients:
                log.info("%s for %s: nobody to notify", event.type, data.get("name"))
                return []
            table = PROMOTIONS if promoted else RECORDS
            query = select(table.c.evidence).where(table.c.experiment_id == event.subject_id)
            if promoted:
                query = query.where(PROMOTIONS.c.decision != "refused")
            row = connection.execute(query.order_by(table.c.at.desc()).limit(1)).first()
        evidence: Mapping[str, Any] = {} if row is None else (row.evidence or {})
        name = data.get("name") or event.subject_id
        by = f" by {event.actor}" if event.actor else ""
        if promoted:
            forced = " (forced)" if data.get("outcome") == "forced" else ""
            subject = f"[ReviewLab] Model {name} promoted to production{forced}"
            lines = [
                f"{name} ({data.get('config_hash')}) was promoted to production{forced}{by}.",
                f"Previous production: {data.get('previous') or 'none'}",
                f"Dataset: {data.get('dataset') or 'none'}",
                f"Reason: {data.get('reason') or 'passed the promotion gate'}",
                "",
                "Evidence:",
                *_promotion_evidence(evidence),
            ]
        else:
            restored = data.get("restored")
            subject = f"[ReviewLab] Model {name} quarantined"
            lines = [
                f"{name} ({data.get('config_hash')}) was quarantined{by}"
                f"{' manually' if data.get('manual') else ' by monitoring'}.",
                f"Production now: {restored or 'none (nothing was restored)'}",
                f"Reason: {data.get('reason') or 'not given'}",
                "",
                "Evidence:",
                *_quarantine_evidence(evidence),
            ]
        return [(to, _subject(subject), "\n".join(lines) + "\n") for to in recipients]


# -- text ---------------------------------------------------------------------------------------------------


def _subject(text: str) -> str:
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 1] + "…"


def _condition(condition: Mapping[str, Any]) -> str:
    return f"{condition.get('name', '?')} {condition.get('actual', '?')} (limit {condition.get('limit', '?')})"


def _counts(counts: Mapping[str, Any]) -> list[str]:
    if not counts:
        return ["  (not recorded)"]
    order = [s for s in SEVERITIES if s in counts] + sorted(s for s in counts if s not in SEVERITIES)
    return [f"  {severity}: {counts[severity]}" for severity in order]


def _f1(brief: Any) -> str:
    metrics = brief.get("metrics") if isinstance(brief, Mapping) else None
    value = metrics.get("f1") if isinstance(metrics, Mapping) else None
    return "n/a" if value is None else f"{float(value):.3f}"


def _promotion_evidence(evidence: Mapping[str, Any]) -> list[str]:
    if not evidence:
        return ["  none recorded (a forced promotion without an evaluation)"]
    lines = [
        f"  F1 before (production {evidence.get('production_model') or 'none'}): {_f1(evidence.get('production'))}",
        f"  F1 after (this configuration): {_f1(evidence.get('candidate'))}",
        f"  dataset version: {evidence.get('dataset_version') or 'n/a'}",
    ]
    failed = [c for c in _dicts(evidence.get("checks")) if not c.get("passed")]
    lines += [f"  failed check: {c.get('name', '?')}: {c.get('detail') or 'no detail'}" for c in failed]
    if evidence.get("problem"):
        lines.append(f"  problem: {evidence['problem']}")
    return lines


def _quarantine_evidence(evidence: Mapping[str, Any]) -> list[str]:
    breaches = [str(b) for b in evidence.get("breaches") or []]
    if breaches:
        return [f"  breach: {b}" for b in breaches]
    if evidence:
        return [f"  {key}: {value}" for key, value in sorted(evidence.items()) if value not in (None, [], {})]
    return ["  none recorded (a manual quarantine)"]


def _dicts(value: Any) -> Iterable[Mapping[str, Any]]:
    return [v for v in value or [] if isinstance(v, Mapping)]
