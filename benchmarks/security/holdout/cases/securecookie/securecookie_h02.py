import secrets

from django.contrib.auth import authenticate
from django.http import JsonResponse

from .models import ApiSession


def token_login(request):
    user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
    if user is None:
        return JsonResponse({"error": "invalid credentials"}, status=401)
    session = ApiSession.objects.create(user=user, key=secrets.token_hex(32))
    response = JsonResponse({"ok": True})
    response.set_cookie("api_session", session.key, max_age=3600, secure=True, httponly=True, samesite="Strict")
    return response
