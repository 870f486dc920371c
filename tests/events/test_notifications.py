"""Email notifications from the bus, on a real migrated SQLite store with the in-process bus and a memory mailer:
a failed gate mails the project's owners and maintainers (or the analysis owner), lifecycle transitions mail the
admins and experimenters, and a failing mailer leaves the message for the next pass."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from reviewlab.accounts.models import UserRow
from reviewlab.events.bus import InProcessBus
from reviewlab.events.model import gate_failed, review_started
from reviewlab.events.notifications import GROUP, EmailNotifications
from reviewlab.jobs.events import MemoryNotifier
from reviewlab.jobs.runner import run_analysis
from reviewlab.jobs.service import Analyses
from reviewlab.lifecycle.service import Lifecycle
from reviewlab.mail import Mail, MailError, MemoryMailer
from reviewlab.projects import Projects
from reviewlab.settings import get_settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.models import SessionStatus
from tests.lifecycle.support import NOTHING, STATIC_DEFAULT, small_dataset

VULNERABLE = "import os\n\nos.system(input())\neval(input())\n"
PUBLIC_URL = "https://reviewlab.example.com/"
GATE = {
    "passed": False,
    "conditions": [
        {"name": "findings at or above high", "limit": 0, "actual": 2, "passed": False},
        {"name": "findings", "limit": 10, "actual": 2, "passed": True},
    ],
}


class _Queue:
    def enqueue(self, session_id: str) -> None:
        return None

    def check(self) -> None:
        return None

    def close(self) -> None:
        return None


class FlakyMailer(MemoryMailer):
    """Refuses the first ``failures`` mails (like an SMTP server that is down), then accepts."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.attempts = 0

    def send(self, message: Mail) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise MailError("SMTP server smtp.example.com:587: connect failed: ConnectionRefusedError")
        super().send(message)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = translated(create_engine(f"sqlite:///{tmp_path / 'store.db'}"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def add_user(engine: Engine, name: str, role: str = "reviewer", *, active: bool = True) -> str:
    user_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(
            insert(UserRow).values(
                id=user_id,
                email=f"{name}@example.org",
                password_hash="not-a-hash",
                role=role,
                is_active=active,
                created_at=datetime(2027, 1, 1, tzinfo=UTC),
                last_login_at=None,
            )
        )
    return user_id


def notifications(engine: Engine, bus: InProcessBus, mailer: MemoryMailer) -> EmailNotifications:
    return EmailNotifications(engine, bus, mailer, public_url=PUBLIC_URL, consumer="c1")


def submit(engine: Engine, owner_id: str, project_id: str | None = None) -> str:
    analyses = Analyses(engine, MemoryNotifier(), _Queue())
    return analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id, project_id)


def recipients(mailer: MemoryMailer) -> list[str]:
    return sorted(mail.to for mail in mailer.sent)


def test_a_failed_gate_in_a_project_mails_its_owners_and_maintainers(engine: Engine, fresh_bus: InProcessBus) -> None:
    ada, bob, cy, dan, eve = (add_user(engine, n) for n in ("ada", "bob", "cy", "dan", "eve"))
    gone = add_user(engine, "gone", active=False)
    projects = Projects(engine)
    project = projects.create(ada, "payments-api")
    projects.add_member(project.id, bob, "owner", ada)
    projects.add_member(project.id, cy, "maintainer", ada)
    projects.add_member(project.id, dan, "viewer", ada)
    projects.add_member(project.id, eve, "reviewer", ada)
    projects.add_member(project.id, gone, "maintainer", ada)
    projects.set_policy(project.id, {"fail_on": "high"}, ada)
    session_id = submit(engine, dan, project.id)

    status = run_analysis(session_id, "worker-1", get_settings(), engine=engine, notifier=MemoryNotifier())
    mailer = MemoryMailer()
    handled, left = notifications(engine, fresh_bus, mailer).drain()

    assert status is SessionStatus.COMPLETED
    assert (handled, left) == (3, 0)  # review.started, review.finished (no mail), gate.failed
    assert recipients(mailer) == ["ada@example.org", "bob@example.org", "cy@example.org"]
    mail = mailer.to("cy@example.org")[0]
    assert mail.subject.startswith("[ReviewLab] Quality gate failed in project payments-api: findings at or above")
    assert f"https://reviewlab.example.com/api/analyze/{session_id}" in mail.text
    assert "Findings by severity:" in mail.text
    assert "  high: " in mail.text or "  critical: " in mail.text
    assert notifications(engine, fresh_bus, mailer).drain() == (0, 0)  # acknowledged: nothing comes back
    assert len(mailer.sent) == 3


def test_a_failed_gate_without_a_project_mails_the_analysis_owner(engine: Engine, fresh_bus: InProcessBus) -> None:
    owner = add_user(engine, "solo", role="viewer")
    add_user(engine, "admin", role="admin")
    session_id = submit(engine, owner)
    fresh_bus.publish(gate_failed(session_id, actor=owner, gate=GATE))
    mailer = MemoryMailer()

    assert notifications(engine, fresh_bus, mailer).drain() == (1, 0)

    [mail] = mailer.sent
    assert mail.to == "solo@example.org"
    assert (
        mail.subject
        == f"[ReviewLab] Quality gate failed in analysis {session_id[:8]}: findings at or above high 2 (limit 0)"
    )
    assert f"{PUBLIC_URL}api/analyze/{session_id}" in mail.text
    assert "findings 2 (limit 10)" not in mail.text  # only the failing conditions


def test_promotion_and_quarantine_mail_admins_and_experimenters_only(engine: Engine, fresh_bus: InProcessBus) -> None:
    add_user(engine, "root", role="admin")
    add_user(engine, "lab", role="experimenter")
    add_user(engine, "rev", role="reviewer")
    add_user(engine, "view", role="viewer")
    add_user(engine, "old", role="admin", active=False)
    lifecycle = Lifecycle(engine, get_settings(), audit=False)
    lifecycle.register([NOTHING, STATIC_DEFAULT])
    dataset = small_dataset()
    lifecycle.promote("nothing", dataset, actor="alice")
    lifecycle.promote("static-default", dataset, actor="alice")
    lifecycle.quarantine(
        "static-default", reason="F1 dropped", actor="bob", evidence={"breaches": ["F1 0.200 is 60.0 points below"]}
    )
    mailer = MemoryMailer()

    assert notifications(engine, fresh_bus, mailer).drain() == (3, 0)

    assert recipients(mailer) == ["lab@example.org"] * 3 + ["root@example.org"] * 3
    first, second, quarantined = mailer.to("lab@example.org")
    assert first.subject == "[ReviewLab] Model nothing promoted to production"
    assert second.subject == "[ReviewLab] Model static-default promoted to production"
    assert "Previous production: nothing" in second.text
    assert "F1 before (production nothing): 0.000" in second.text
    after = next(line for line in second.text.splitlines() if line.startswith("  F1 after"))
    assert float(after.rsplit(" ", 1)[1]) > 0
    assert quarantined.subject == "[ReviewLab] Model static-default quarantined"
    assert "Reason: F1 dropped" in quarantined.text
    assert "Production now: nothing" in quarantined.text
    assert "breach: F1 0.200 is 60.0 points below" in quarantined.text


def test_a_failing_mailer_leaves_the_message_for_the_next_pass(
    engine: Engine, fresh_bus: InProcessBus, caplog: pytest.LogCaptureFixture
) -> None:
    owner = add_user(engine, "solo")
    session_id = submit(engine, owner)
    fresh_bus.publish(review_started(session_id, actor=owner, attempt=1, worker="w1"))
    fresh_bus.publish(gate_failed(session_id, actor=owner, gate=GATE))
    mailer = FlakyMailer(failures=2)

    with caplog.at_level(logging.WARNING, logger="reviewlab.events.notifications"):
        first = notifications(engine, fresh_bus, mailer).drain()

    assert first == (1, 1)  # review.started acknowledged; gate.failed left (tried, then retried once)
    assert mailer.sent == []
    assert "cannot send the notifications" in caplog.text
    assert "connect failed" in caplog.text
    assert len(fresh_bus._groups[GROUP].pending) == 1

    second = notifications(engine, fresh_bus, mailer).drain()

    assert second == (1, 0)
    assert [mail.to for mail in mailer.sent] == ["solo@example.org"]
    assert notifications(engine, fresh_bus, mailer).drain() == (0, 0)
    assert len(mailer.sent) == 1


def test_a_redelivered_message_does_not_remail_who_was_mailed(engine: Engine, fresh_bus: InProcessBus) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    projects = Projects(engine)
    project = projects.create(ada, "api")
    projects.add_member(project.id, bob, "maintainer", ada)
    session_id = submit(engine, ada, project.id)
    fresh_bus.publish(gate_failed(session_id, actor=ada, gate=GATE))

    class SecondFails(MemoryMailer):
        calls = 0

        def send(self, message: Mail) -> None:
            self.calls += 1
            if self.calls == 2:
                raise MailError("refused")
            super().send(message)

    mailer = SecondFails()
    notifier = notifications(engine, fresh_bus, mailer)

    assert notifier.pump() == (0, 1)
    assert notifier.pump() == (1, 0)
    assert recipients(mailer) == ["ada@example.org", "bob@example.org"]


def test_other_events_and_nobody_to_notify_are_acknowledged(engine: Engine, fresh_bus: InProcessBus) -> None:
    fresh_bus.publish(review_started("s1", actor=None, attempt=1, worker="w1"))
    fresh_bus.publish(gate_failed("unknown-session", actor=None, gate=GATE))
    mailer = MemoryMailer()

    assert notifications(engine, fresh_bus, mailer).drain() == (2, 0)
    assert mailer.sent == []


def test_a_broken_bus_does_not_raise(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(InProcessBus):
        def read(self, *args: object, **kwargs: object) -> list:  # type: ignore[override,type-arg]
            raise ConnectionError("redis is down")

    assert EmailNotifications(engine, Broken(), MemoryMailer(), public_url=PUBLIC_URL).drain() == (0, 0)
    assert "cannot read the bus" in caplog.text


def test_the_cli_deliver_pass_also_sends_notifications(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from reviewlab.cli import main
    from reviewlab.events.bus import default_bus

    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("REVIEWLAB_PUBLIC_URL", "https://lab.example.com")
    assert main(["events", "deliver", "--consumer", "cli-test"]) == 0  # migrates; nothing on the bus yet
    engine = translated(create_engine(f"sqlite:///{database}"))
    owner = add_user(engine, "cli")
    engine.dispose()
    default_bus().publish(gate_failed("s-cli", actor=owner, gate=GATE))
    capsys.readouterr()

    with caplog.at_level(logging.INFO, logger="reviewlab.mail"):
        assert main(["events", "deliver", "--consumer", "cli-test"]) == 0

    assert "notifications: 1 events handled, 0 left for the next pass" in capsys.readouterr().out
    assert "To: cli@example.org" in caplog.text  # the LogMailer (SMTP_HOST unset)
    assert "https://lab.example.com/api/analyze/s-cli" in caplog.text
