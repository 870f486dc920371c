"""Analyses over HTTP: 202 and status, findings with filters, SSE with resume, cancel, archives, triage, access."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.deps import Platform
from reviewlab.accounts import Role
from tests.api import PROBLEM, Client
from tests.api.conftest import Clock

VULNERABLE = "import os\n\ndef run():\n    return eval(input())\n\ndef shell(cmd):\n    os.system(input())\n"


def start_snippet(client: Client, code: str = VULNERABLE, **extra: Any) -> str:
    response = client.post("/api/analyze", json={"kind": "snippet", "code": code, "language": "python", **extra})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued"
    assert body["stream"] == f"/api/analyze/{body['id']}/stream"
    session_id: str = body["id"]
    return session_id


def wait(client: Client, session_id: str) -> dict[str, Any]:
    """Follow the analysis's stream to its end (one request: /api/analyze/* allows 10 a minute), then read it."""
    events = read_stream(client, session_id)
    assert events[-1]["event"] in {"done", "failed", "cancelled"}
    body: dict[str, Any] = client.get(f"/api/analyze/{session_id}").json()
    return body


def read_stream(client: Client, session_id: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    with client.stream("GET", f"/api/analyze/{session_id}/stream", headers=headers or {}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if not line:
                if "event" in current:
                    events.append(current)
                current = {}
            elif line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
    return events


def test_a_snippet_analysis_from_202_to_findings(signed_in: Callable[..., Client], platform: Platform) -> None:
    client = signed_in()
    session_id = start_snippet(client)

    body = wait(client, session_id)

    assert body["analysis"]["status"] == "completed"
    rules = {f["rule_id"] for f in body["findings"]}
    assert {"PY-S001", "PY-S002"} <= rules
    assert body["total"] == len(body["findings"])
    assert body["summary"]["findings"] == body["total"]
    assert all(f["triage"] == {"status": "open"} for f in body["findings"])
    audit = platform.services().audit
    deadline = time.monotonic() + 10  # the worker audits the end just after it announces it
    while len(audit.query(action_prefix="analysis.")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    ended, started = audit.query(action_prefix="analysis.")
    assert (started.action, started.target_id) == ("analysis.started", session_id)
    assert (ended.action, ended.target_id, ended.actor) == ("analysis.completed", session_id, None)
    assert ended.details["findings"] == body["total"]


def test_findings_filters_and_pagination(signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    session_id = start_snippet(client)
    everything = wait(client, session_id)
    path = f"/api/analyze/{session_id}"

    only_code = client.get(path, params={"rule": "PY-S001"}).json()
    by_cwe = client.get(path, params={"cwe": 78}).json()
    first = client.get(path, params={"limit": 1}).json()
    second = client.get(path, params={"limit": 1, "offset": 1}).json()

    assert [f["rule_id"] for f in only_code["findings"]] == ["PY-S001"]
    assert {f["rule_id"] for f in by_cwe["findings"]} == {"PY-S002"}
    assert first["total"] == everything["total"]
    assert first["findings"][0] != second["findings"][0]
    assert client.get(path, params={"severity": "critical", "category": "quality"}).json()["total"] == 0
    assert client.get(path, params={"limit": 0}).status_code == 422


def test_the_stream_shows_stages_and_findings_and_resumes(signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    session_id = start_snippet(client)

    events = read_stream(client, session_id)

    kinds = [e["event"] for e in events]
    assert kinds[0] == "queued"
    assert kinds[-1] == "done"
    assert "finding" in kinds
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    findings = [e["data"] for e in events if e["event"] == "finding"]
    assert "PY-S001" in json.dumps(findings)

    middle = events[len(events) // 2]["id"]
    resumed = read_stream(client, session_id, headers={"Last-Event-ID": str(middle)})
    assert [e["id"] for e in resumed] == [e["id"] for e in events if e["id"] > middle]
    assert read_stream(client, session_id, headers={"Last-Event-ID": str(events[-1]["id"])}) == []


def test_files_are_reviewed_as_one_tree(signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    files = [
        {"path": "app/main.py", "content": VULNERABLE},
        {"path": "app/util.js", "content": "eval(location.hash)\n"},
    ]

    response = client.post("/api/analyze", json={"kind": "files", "files": files})
    body = wait(client, response.json()["id"])

    assert body["analysis"]["status"] == "completed"
    assert {f["path"] for f in body["findings"]} == {"app/main.py", "app/util.js"}


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "snippet", "code": "x = 1", "language": "cobol"},
        {"kind": "files", "files": [{"path": "../escape.py", "content": "x"}]},
        {"kind": "files", "files": []},
        {"kind": "repository", "project_id": "00000000-0000-0000-0000-000000000000", "repo": "/etc"},
        {"kind": "shell", "code": "rm -rf /"},
        {"kind": "snippet", "code": "x", "language": "python", "options": {"select": ["; DROP"]}},
    ],
)
def test_invalid_requests_are_422_or_404(signed_in: Callable[..., Client], body: dict[str, Any]) -> None:
    client = signed_in()

    response = client.post("/api/analyze", json=body)

    assert response.status_code in {404, 422}
    assert response.headers["content-type"] == PROBLEM


def test_viewers_cannot_start_analyses(signed_in: Callable[..., Client]) -> None:
    viewer = signed_in(Role.VIEWER)

    assert viewer.post("/api/analyze", json={"kind": "snippet", "code": "x", "language": "python"}).status_code == 403


def test_another_users_analysis_is_404(signed_in: Callable[..., Client]) -> None:
    alice, mallory, admin = signed_in(), signed_in(), signed_in(Role.ADMIN)
    session_id = start_snippet(alice)
    body = wait(alice, session_id)
    fingerprint = body["findings"][0]["fingerprint"]

    assert mallory.get(f"/api/analyze/{session_id}").status_code == 404
    assert mallory.post(f"/api/analyze/{session_id}/cancel").status_code == 404
    assert mallory.get(f"/api/analyze/{session_id}/stream").status_code == 404
    triaged = mallory.put(f"/api/analyze/{session_id}/findings/{fingerprint}/triage", json={"status": "false_positive"})
    assert triaged.status_code == 404
    assert admin.get(f"/api/analyze/{session_id}").status_code == 200


def test_triage_is_kept_across_reviews_by_fingerprint(
    signed_in: Callable[..., Client], platform: Platform, clock: Clock
) -> None:
    client = signed_in()
    first = wait(client, start_snippet(client))
    target = next(f for f in first["findings"] if f["rule_id"] == "PY-S001")
    path = f"/api/analyze/{first['analysis']['id']}/findings/{target['fingerprint']}/triage"

    decided = client.put(path, json={"status": "false_positive", "comment": "input() is a test fixture here"})
    assert decided.status_code == 200
    assert decided.json()["history"][0]["status"] == "false_positive"
    assert client.put(path, json={"status": "nonsense"}).status_code == 422

    clock.now += 61  # a new minute of /api/analyze/* requests
    second = wait(client, start_snippet(client))
    again = next(f for f in second["findings"] if f["fingerprint"] == target["fingerprint"])
    assert again["triage"]["status"] == "false_positive"
    assert again["triage"]["comment"] == "input() is a test fixture here"
    open_only = client.get(f"/api/analyze/{second['analysis']['id']}", params={"status": "open"}).json()
    assert target["fingerprint"] not in {f["fingerprint"] for f in open_only["findings"]}
    assert client.get(path).json()["status"] == "false_positive"
    assert [r.action for r in platform.services().audit.query(action_prefix="finding.")] == ["finding.triaged"]


def test_cancel_a_queued_analysis(signed_in: Callable[..., Client], platform: Platform) -> None:
    client = signed_in()
    services = platform.services()
    services.analyses.queue = None  # nothing takes work: the analysis stays queued until cancelled
    session_id = start_snippet(client)

    cancelled = client.post(f"/api/analyze/{session_id}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    events = read_stream(client, session_id)
    assert [e["event"] for e in events] == ["queued", "cancelled"]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_uploaded_archive_is_reviewed(signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    data = _zip({"src/app.py": VULNERABLE.encode(), "README.md": b"hello"})

    response = client.post(
        "/api/analyze/archive",
        files={"archive": ("code.zip", data, "application/zip")},
        data={"options": json.dumps({"select": ["PY-S001"]})},
    )

    assert response.status_code == 202, response.text
    body = wait(client, response.json()["id"])
    assert body["analysis"]["status"] == "completed"
    assert [(f["rule_id"], f["path"]) for f in body["findings"]] == [("PY-S001", "src/app.py")]


def test_a_hostile_archive_fails_with_its_reason(signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("../../etc/cron.d/evil")
        payload = b"* * * * * root sh\n"
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))

    response = client.post("/api/analyze/archive", files={"archive": ("evil.tar.gz", buffer.getvalue())})

    body = wait(client, response.json()["id"])
    assert body["analysis"]["status"] == "failed"
    assert ".." in body["analysis"]["error"] or "outside" in body["analysis"]["error"]


def test_an_archive_over_the_limit_is_413(signed_in: Callable[..., Client], platform: Platform) -> None:
    client = signed_in()
    too_big = b"\0" * (platform.settings.reviewlab_max_archive_bytes + 10)

    response = client.post("/api/analyze/archive", files={"archive": ("big.zip", too_big)})

    assert response.status_code == 413


def _git_repository(path: Path) -> Path:
    path.mkdir()
    (path / "app.py").write_text(VULNERABLE, encoding="utf-8")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first")
    return path


def test_a_projects_repository_at_a_ref(signed_in: Callable[..., Client], tmp_path: Path) -> None:
    admin = signed_in(Role.ADMIN)
    repo = _git_repository(tmp_path / "repo")
    project = admin.post("/api/projects", json={"name": "local", "repo_url": str(repo)}).json()

    response = admin.post("/api/analyze", json={"kind": "repository", "project_id": project["id"]})

    assert response.status_code == 202, response.text
    body = wait(admin, response.json()["id"])
    assert body["analysis"]["status"] == "completed", body["analysis"]["error"]
    assert body["analysis"]["project_id"] == project["id"]
    assert body["analysis"]["commit"]
    assert "PY-S001" in {f["rule_id"] for f in body["findings"]}
    assert (
        admin.post(
            "/api/analyze", json={"kind": "repository", "project_id": project["id"], "ref": "--upload-pack=x"}
        ).status_code
        == 422
    )


def test_a_project_viewer_may_read_but_not_start(signed_in: Callable[..., Client]) -> None:
    owner, viewer = signed_in(), signed_in()
    project = owner.post("/api/projects", json={"name": "p"}).json()
    owner.post(f"/api/projects/{project['id']}/members", json={"user_id": viewer.user.id, "role": "viewer"})
    session_id = start_snippet(owner, project_id=project["id"])
    wait(owner, session_id)

    assert viewer.get(f"/api/analyze/{session_id}").status_code == 200
    started = viewer.post(
        "/api/analyze", json={"kind": "snippet", "code": "x", "language": "python", "project_id": project["id"]}
    )
    assert started.status_code == 403


def test_a_project_analysis_applies_its_policy_and_baseline_and_records_versions(
    signed_in: Callable[..., Client], platform: Platform, clock: Clock
) -> None:
    owner = signed_in()
    project = owner.post("/api/projects", json={"name": "gated"}).json()
    path = f"/api/projects/{project['id']}"
    owner.put(f"{path}/policy", json={"fail_on": "high"})

    first = wait(owner, start_snippet(owner, project_id=project["id"]))
    assert first["analysis"]["status"] == "completed"
    versions = owner.get(f"{path}/versions").json()
    assert versions["total"] == 1
    assert versions["items"][0]["gate_passed"] is False
    assert versions["items"][0]["session_id"] == first["analysis"]["id"]

    # Reading the findings again comes from the project's cache (L2).
    hits = platform.caches.stats()["projects"].hits
    owner.get(f"/api/analyze/{first['analysis']['id']}")
    assert platform.caches.stats()["projects"].hits == hits + 1

    assert owner.put(f"{path}/baseline", json={"session_id": first["analysis"]["id"]}).status_code == 200
    clock.now += 61
    second = wait(owner, start_snippet(owner, project_id=project["id"]))
    assert second["total"] == 0  # every finding is in the baseline
    versions = owner.get(f"{path}/versions").json()
    assert versions["total"] == 2
    assert versions["items"][0]["gate_passed"] is True
    history = [h["action"] for h in owner.get(f"{path}/history").json()["items"]]
    assert history[:3] == ["version", "baseline", "version"]
