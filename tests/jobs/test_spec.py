"""Analysis requests: each kind validates, and anything malformed or unsafe is an ``InvalidRequest``."""

from __future__ import annotations

from typing import Any

import pytest

from reviewlab.errors import InputError
from reviewlab.jobs.errors import InvalidRequest
from reviewlab.jobs.spec import MAX_SNIPPET_BYTES, RepositoryRequest, parse_request


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "snippet", "code": "x = 1", "language": "python", "options": {"select": ["PY-"], "ai": True}},
        {"kind": "files", "files": [{"path": "a/b.py", "content": ""}]},
        {"kind": "archive", "filename": "src.tar.gz"},
        {"kind": "repository", "repo": "https://example.com/r.git", "ref": "release/1.2"},
        {"kind": "repository", "repo": "git@example.com:team/r.git"},
        {"kind": "repository", "repo": "/srv/repos/r", "ref": "0123abcd"},
    ],
)
def test_valid_requests_parse(data: dict[str, Any]) -> None:
    assert parse_request(data).kind == data["kind"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"kind": "nope"}, "tag"),
        ({"kind": "snippet", "code": "x", "language": "cobol"}, "unsupported language"),
        ({"kind": "snippet", "code": "x" * (MAX_SNIPPET_BYTES + 1), "language": "python"}, "over 1048576 bytes"),
        ({"kind": "snippet", "code": "x", "language": "python", "extra": 1}, "Extra inputs"),
        ({"kind": "snippet", "code": 1, "language": "python"}, "valid string"),
        ({"kind": "files", "files": [{"path": "../x.py", "content": ""}]}, "'..' segment"),
        ({"kind": "files", "files": [{"path": "/etc/x.py", "content": ""}]}, "relative"),
        ({"kind": "files", "files": [{"path": "a\\b.py", "content": ""}]}, "relative"),
        ({"kind": "files", "files": [{"path": ".git/config", "content": ""}]}, "inside .git"),
        ({"kind": "files", "files": [{"path": "a.py", "content": ""}, {"path": "A.py", "content": ""}]}, "twice"),
        ({"kind": "files", "files": [{"path": f"{i}.py", "content": ""} for i in range(1001)]}, "at most 1000"),
        ({"kind": "archive", "filename": "../x.zip"}, "plain file name"),
        ({"kind": "repository", "repo": "/r", "ref": "-upload-pack=evil"}, "start with '-'"),
        ({"kind": "repository", "repo": "/r", "ref": "a..b"}, "'..'"),
        ({"kind": "repository", "repo": "/r", "ref": "a b"}, "whitespace"),
        ({"kind": "repository", "repo": "/r", "ref": "a\x01"}, "control"),
        ({"kind": "repository", "repo": "--upload-pack=x"}, "git URL"),
        ({"kind": "repository", "repo": "ext::sh -c evil"}, "git URL"),
        ({"kind": "repository", "repo": "relative/path"}, "git URL"),
        ({"kind": "snippet", "code": "x", "language": "python", "options": {"select": ["PY S"]}}, "not rule ids"),
    ],
)
def test_invalid_requests_are_refused_with_the_reason(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidRequest, match="invalid analysis request") as caught:
        parse_request(data)
    assert problem in str(caught.value)
    assert isinstance(caught.value, InputError)


def test_a_local_repository_is_marked_local() -> None:
    assert RepositoryRequest(kind="repository", repo="/srv/r").is_local
    assert not RepositoryRequest(kind="repository", repo="https://example.com/r.git").is_local
