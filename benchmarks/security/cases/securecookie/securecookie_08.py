"""Issue an authentication cookie after login, secure flags set."""

import secrets

from django.http import JsonResponse


def issue_auth_cookie(request):
    response = JsonResponse({"ok": True})
    response.set_cookie("auth_token", secrets.token_urlsafe(32), secure=True, httponly=True, samesite="Strict")
    return response
