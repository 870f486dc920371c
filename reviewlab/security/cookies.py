"""The session cookies' attributes, as data the API applies verbatim (seed section 6.1).

Threats addressed:

* **Token theft by script (XSS).** ``access_token`` and ``refresh_token`` are ``HttpOnly``: page
  scripts cannot read them. Only ``csrf_token`` is readable, because the front end must copy it
  into the ``X-CSRF-Token`` header (:mod:`reviewlab.security.csrf`); it grants nothing alone.
* **Token theft on the wire.** Every cookie is ``Secure`` (sent over https only). Plain-http
  development may turn that off, and only development: :func:`cookie_policy` refuses
  ``secure=False`` in any other environment.
* **Cross-site requests.** ``SameSite=Lax``: browsers do not attach the cookies to cross-site
  subrequests or POSTs (CSRF tokens cover the rest), while a link into the app still arrives
  logged in.
* **Refresh-token exposure.** The refresh cookie's path is narrowed to the auth endpoints
  (``/api/auth``), so the 7-day token travels only with login, refresh and logout requests.

Cookie lifetimes follow the token lifetimes; the CSRF cookie lives as long as the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypedDict

from reviewlab.errors import SettingsError
from reviewlab.security.tokens import DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_TTL, TokenConfig
from reviewlab.settings import Environment, Settings

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
CSRF_COOKIE = "csrf_token"
REFRESH_COOKIE_PATH = "/api/auth"

SameSite = Literal["lax", "strict", "none"]


class SetCookieArgs(TypedDict):
    """Keyword arguments of Starlette's ``Response.set_cookie``: ``response.set_cookie(**spec.set_args(value))``."""

    key: str
    value: str
    max_age: int
    path: str
    secure: bool
    httponly: bool
    samesite: SameSite


@dataclass(frozen=True, slots=True)
class CookieSpec:
    """One cookie's name and attributes."""

    name: str
    httponly: bool
    secure: bool
    samesite: SameSite
    path: str
    max_age: int  # seconds

    def set_args(self, value: str) -> SetCookieArgs:
        """The arguments that set this cookie to ``value``."""
        return SetCookieArgs(
            key=self.name,
            value=value,
            max_age=self.max_age,
            path=self.path,
            secure=self.secure,
            httponly=self.httponly,
            samesite=self.samesite,
        )

    def clear_args(self) -> SetCookieArgs:
        """The arguments that remove this cookie (same name, path and flags, empty, already expired)."""
        return SetCookieArgs(
            key=self.name,
            value="",
            max_age=0,
            path=self.path,
            secure=self.secure,
            httponly=self.httponly,
            samesite=self.samesite,
        )


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    """The three session cookies."""

    access: CookieSpec
    refresh: CookieSpec
    csrf: CookieSpec

    def all(self) -> tuple[CookieSpec, CookieSpec, CookieSpec]:
        return (self.access, self.refresh, self.csrf)


def cookie_policy(
    environment: Environment,
    *,
    secure: bool = True,
    access_ttl: timedelta = DEFAULT_ACCESS_TTL,
    refresh_ttl: timedelta = DEFAULT_REFRESH_TTL,
    refresh_path: str = REFRESH_COOKIE_PATH,
) -> CookiePolicy:
    """The session cookies' attributes; ``secure=False`` is refused outside development."""
    if not secure and environment is not Environment.DEVELOPMENT:
        raise SettingsError(
            f"cookies without the Secure flag are allowed only when ENVIRONMENT=development, "
            f"not {environment.value}: serve the API over https"
        )
    if not refresh_path.startswith("/"):
        raise ValueError(f"a cookie path must start with '/', got {refresh_path!r}")
    access_s = int(access_ttl.total_seconds())
    session_s = int(refresh_ttl.total_seconds())
    return CookiePolicy(
        access=CookieSpec(ACCESS_COOKIE, httponly=True, secure=secure, samesite="lax", path="/", max_age=access_s),
        refresh=CookieSpec(
            REFRESH_COOKIE, httponly=True, secure=secure, samesite="lax", path=refresh_path, max_age=session_s
        ),
        csrf=CookieSpec(CSRF_COOKIE, httponly=False, secure=secure, samesite="lax", path="/", max_age=session_s),
    )


def cookie_policy_from_settings(
    settings: Settings,
    *,
    secure: bool = True,
    tokens: TokenConfig | None = None,
    refresh_path: str = REFRESH_COOKIE_PATH,
) -> CookiePolicy:
    """:func:`cookie_policy` for the configured environment, with the lifetimes of ``tokens``."""
    config = tokens or TokenConfig()
    return cookie_policy(
        settings.environment,
        secure=secure,
        access_ttl=config.access_ttl,
        refresh_ttl=config.refresh_ttl,
        refresh_path=refresh_path,
    )
