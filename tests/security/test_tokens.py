"""JWT issue and verification: claims, lifetimes, issuer/audience/type, refused algorithms and forgeries."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from reviewlab.security.errors import TokenExpired, TokenInvalid, TokenNotYetValid, WrongTokenType
from reviewlab.security.tokens import MAX_TOKEN_CHARS, TokenConfig, TokenService, TokenType
from reviewlab.settings import get_settings
from tests.security import START, FakeClock, jwt_key

KEY = jwt_key()
USER = "user-42"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(clock: FakeClock) -> TokenService:
    return TokenService(KEY, clock=clock)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(**overrides: Any) -> dict[str, Any]:
    now = int(START)
    claims: dict[str, Any] = {
        "iss": "reviewlab",
        "aud": "reviewlab-api",
        "sub": USER,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": "jti-1",
        "typ": "access",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def test_an_access_token_carries_every_claim(tokens: TokenService) -> None:
    claims = tokens.decode(tokens.issue_access(USER, family="fam-1"), TokenType.ACCESS)
    assert claims.sub == USER
    assert claims.typ is TokenType.ACCESS
    assert claims.fam == "fam-1"
    assert (claims.iss, claims.aud) == ("reviewlab", "reviewlab-api")
    assert claims.iat == claims.nbf == int(START)
    assert claims.exp - claims.iat == 15 * 60
    assert len(claims.jti) >= 20


def test_a_refresh_token_lasts_seven_days_and_names_its_family(tokens: TokenService) -> None:
    claims = tokens.decode(tokens.issue(TokenType.REFRESH, USER, family="fam-1"), TokenType.REFRESH)
    assert claims.typ is TokenType.REFRESH
    assert claims.fam == "fam-1"
    assert claims.exp - claims.iat == 7 * 24 * 3600


def test_every_token_has_its_own_id(tokens: TokenService) -> None:
    ids = {tokens.decode(tokens.issue_access(USER), TokenType.ACCESS).jti for _ in range(50)}
    assert len(ids) == 50


def test_the_header_names_hs256_and_nothing_else(tokens: TokenService) -> None:
    assert jwt.get_unverified_header(tokens.issue_access(USER)) == {"alg": "HS256", "typ": "JWT"}


def test_expiry_with_leeway(tokens: TokenService, clock: FakeClock) -> None:
    token = tokens.issue_access(USER)
    clock.advance(15 * 60 + 9)  # within the 10 s leeway
    assert tokens.decode(token, TokenType.ACCESS).sub == USER
    clock.advance(1)
    with pytest.raises(TokenExpired, match="expired"):
        tokens.decode(token, TokenType.ACCESS)


def test_the_leeway_is_configurable(clock: FakeClock) -> None:
    strict = TokenService(KEY, TokenConfig(leeway=timedelta(0)), clock=clock)
    token = strict.issue_access(USER)
    clock.advance(15 * 60 - 1)
    strict.decode(token, TokenType.ACCESS)
    clock.advance(1)
    with pytest.raises(TokenExpired):
        strict.decode(token, TokenType.ACCESS)


def test_not_yet_valid(tokens: TokenService, clock: FakeClock) -> None:
    token = tokens.issue_access(USER)
    clock.advance(-60)  # the verifier's clock is a minute behind the issuer's
    with pytest.raises(TokenNotYetValid, match="not valid yet"):
        tokens.decode(token, TokenType.ACCESS)
    clock.advance(55)  # 5 s behind: inside the leeway
    tokens.decode(token, TokenType.ACCESS)


def test_issued_in_the_future(tokens: TokenService) -> None:
    token = jwt.encode(_payload(iat=int(START) + 3600, nbf=int(START), exp=int(START) + 7200), KEY, algorithm="HS256")
    with pytest.raises(TokenNotYetValid, match="issued in the future"):
        tokens.decode(token, TokenType.ACCESS)


def test_lifetime_can_be_skipped_but_nothing_else(tokens: TokenService, clock: FakeClock) -> None:
    token = tokens.issue_access(USER)
    clock.advance(30 * 24 * 3600)
    assert tokens.decode(token, TokenType.ACCESS, check_lifetime=False).sub == USER
    other = TokenService(jwt_key(b"another secret"), clock=clock)
    with pytest.raises(TokenInvalid, match="signature"):
        other.decode(token, TokenType.ACCESS, check_lifetime=False)


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        (TokenConfig(issuer="someone-else"), "another issuer"),
        (TokenConfig(audience="another-api"), "another audience"),
    ],
)
def test_issuer_and_audience_must_be_ours(clock: FakeClock, config: TokenConfig, reason: str) -> None:
    foreign = TokenService(KEY, config, clock=clock).issue_access(USER)
    with pytest.raises(TokenInvalid, match=reason):
        TokenService(KEY, clock=clock).decode(foreign, TokenType.ACCESS)


def test_an_audience_list_is_refused(tokens: TokenService) -> None:
    token = jwt.encode(_payload(aud=["reviewlab-api", "another-api"]), KEY, algorithm="HS256")
    with pytest.raises(TokenInvalid, match="audience"):
        tokens.decode(token, TokenType.ACCESS)


def test_the_token_type_must_match(tokens: TokenService) -> None:
    access = tokens.issue_access(USER, family="fam-1")
    refresh = tokens.issue(TokenType.REFRESH, USER, family="fam-1")
    with pytest.raises(WrongTokenType, match="expected a refresh token, got a access token"):
        tokens.decode(access, TokenType.REFRESH)
    with pytest.raises(WrongTokenType, match="expected a access token, got a refresh token"):
        tokens.decode(refresh, TokenType.ACCESS)
    assert tokens.decode(refresh, None).typ is TokenType.REFRESH


def test_alg_none_is_refused(tokens: TokenService) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_payload())}."
    with pytest.raises(TokenInvalid, match="algorithm is not allowed"):
        tokens.decode(unsigned, TokenType.ACCESS)
    for spelling in ("None", "NONE", "nOnE"):
        variant = f"{_b64({'alg': spelling, 'typ': 'JWT'})}.{_b64(_payload())}."
        with pytest.raises(TokenInvalid):
            tokens.decode(variant, TokenType.ACCESS)


def test_hs512_signed_with_the_right_key_is_still_refused(tokens: TokenService, clock: FakeClock) -> None:
    token = jwt.encode(_payload(), KEY, algorithm="HS512")
    with pytest.raises(TokenInvalid, match="algorithm is not allowed"):
        tokens.decode(token, TokenType.ACCESS)
    # The allowlist, not the key, is what refused it: a service that lists HS512 accepts the same token.
    assert TokenService(KEY, TokenConfig(algorithms=("HS256", "HS512")), clock=clock).decode(token, TokenType.ACCESS)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "EdDSA"])
def test_asymmetric_algorithms_are_refused(tokens: TokenService, alg: str) -> None:
    forged = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_payload())}.{base64.urlsafe_b64encode(b'x' * 256).decode()}"
    with pytest.raises(TokenInvalid, match="algorithm is not allowed"):
        tokens.decode(forged.rstrip("="), TokenType.ACCESS)


def test_a_tampered_payload_breaks_the_signature(tokens: TokenService) -> None:
    header, _, signature = tokens.issue_access(USER).split(".")
    forged = f"{header}.{_b64(_payload(sub='admin'))}.{signature}"
    with pytest.raises(TokenInvalid, match="signature is invalid"):
        tokens.decode(forged, TokenType.ACCESS)


def test_a_tampered_signature_is_refused(tokens: TokenService) -> None:
    header, payload, signature = tokens.issue_access(USER).split(".")
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    with pytest.raises(TokenInvalid, match="signature is invalid"):
        tokens.decode(f"{header}.{payload}.{flipped}", TokenType.ACCESS)
    with pytest.raises(TokenInvalid):
        tokens.decode(f"{header}.{payload}.", TokenType.ACCESS)


def test_another_key_is_refused(clock: FakeClock, tokens: TokenService) -> None:
    stranger = TokenService(jwt_key(b"not our secret"), clock=clock)
    with pytest.raises(TokenInvalid, match="signature is invalid"):
        tokens.decode(stranger.issue_access(USER), TokenType.ACCESS)


@pytest.mark.parametrize("missing", ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "typ"])
def test_every_claim_is_required(tokens: TokenService, missing: str) -> None:
    token = jwt.encode(_payload(**{missing: None}), KEY, algorithm="HS256")
    with pytest.raises(TokenInvalid, match=f"lacks the '{missing}' claim"):
        tokens.decode(token, TokenType.ACCESS)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": "tomorrow"}, "integer seconds"),
        ({"nbf": True}, "integer seconds"),
        ({"iat": 1.8e9}, "integer seconds"),
        ({"typ": "id"}, "unknown type"),
        ({"typ": ["access"]}, "unknown type"),
        ({"sub": 42}, "malformed"),
        ({"sub": ""}, "non-empty"),
        ({"jti": 7}, "malformed"),
        ({"fam": 7}, "family"),
        ({"typ": "refresh"}, "lacks its family"),
    ],
)
def test_malformed_claims_are_refused(tokens: TokenService, overrides: dict[str, Any], reason: str) -> None:
    token = jwt.encode(_payload(**overrides), KEY, algorithm="HS256")
    with pytest.raises(TokenInvalid, match=reason):
        tokens.decode(token, None)


@pytest.mark.parametrize("token", ["", "a.b.c", "not-a-jwt", "x" * (MAX_TOKEN_CHARS + 1), "e30.e30.", "ÿ.ÿ.ÿ", "....."])
def test_garbage_is_invalid_not_an_error(tokens: TokenService, token: str) -> None:
    with pytest.raises(TokenInvalid):
        tokens.decode(token, TokenType.ACCESS)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithms": ("none",)},
        {"algorithms": ("RS256",)},
        {"algorithms": ("HS256", "RS256")},
        {"algorithms": ()},
        {"leeway": timedelta(minutes=6)},
        {"leeway": timedelta(seconds=-1)},
        {"access_ttl": timedelta(0)},
        {"issuer": ""},
    ],
)
def test_unsafe_configurations_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        TokenConfig(**kwargs)


def test_short_keys_and_incomplete_tokens_are_refused(tokens: TokenService) -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        TokenService(b"k" * 32)
    with pytest.raises(ValueError, match="family"):
        tokens.issue(TokenType.REFRESH, USER)
    with pytest.raises(ValueError, match="subject"):
        tokens.issue_access("")


def test_from_settings_derives_the_key_from_jwt_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s" * 40
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", secret)
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    token = TokenService.from_settings(get_settings()).issue_access(USER)
    assert TokenService.from_settings(get_settings()).decode(token, TokenType.ACCESS).sub == USER
    assert TokenService(jwt_key(secret.encode())).decode(token, TokenType.ACCESS).sub == USER
    with pytest.raises(jwt.InvalidSignatureError):  # the raw secret is never the signing key
        jwt.decode(token, secret, algorithms=["HS256"], audience="reviewlab-api")


def test_development_without_a_secret_keeps_one_across_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    token = TokenService.from_settings(get_settings()).issue_access(USER)
    get_settings.cache_clear()  # a new process with the same REVIEWLAB_HOME
    assert TokenService.from_settings(get_settings()).decode(token, TokenType.ACCESS).sub == USER
    assert (Path(get_settings().reviewlab_home) / "secrets" / "jwt_secret_key.key").is_file()


def test_a_token_verified_once_is_not_verified_again_but_its_times_and_type_still_are(
    tokens: TokenService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tokens.issue(TokenType.ACCESS, "user-1", family="fam-1")
    first = tokens.decode(token, TokenType.ACCESS)
    calls: list[str] = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: calls.append("decode") or real(*a, **k))
    assert tokens.decode(token, TokenType.ACCESS) == first
    assert calls == []  # the signature of this exact string was checked before
    with pytest.raises(WrongTokenType):
        tokens.decode(token, TokenType.REFRESH)
    clock.advance(timedelta(minutes=30).total_seconds())
    with pytest.raises(TokenExpired):
        tokens.decode(token, TokenType.ACCESS)
    # Any other string is verified in full: a token with one character changed is refused.
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    with pytest.raises(TokenInvalid):
        tokens.decode(forged, TokenType.ACCESS)
    assert calls == ["decode"]


def test_the_verified_tokens_kept_are_bounded(
    tokens: TokenService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reviewlab.security.tokens as module

    monkeypatch.setattr(module, "VERIFIED_TOKENS_KEPT", 8)
    old = [tokens.issue(TokenType.ACCESS, f"user-{n}", family="f") for n in range(6)]
    for token in old:
        tokens.decode(token, TokenType.ACCESS)
    clock.advance(timedelta(minutes=30).total_seconds())  # the six expire: they go first
    fresh = [tokens.issue(TokenType.ACCESS, f"user-{n}", family="f") for n in range(20)]
    for token in fresh:
        tokens.decode(token, TokenType.ACCESS)
        assert len(tokens._verified) <= 8
    assert not set(old) & set(tokens._verified)
    assert fresh[-1] in tokens._verified
