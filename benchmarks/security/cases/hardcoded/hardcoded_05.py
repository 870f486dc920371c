"""Maintenance console login."""

from django.http import HttpResponse, HttpResponseForbidden


def maintenance_login(request):
    username = request.POST.get("username", "")
    password = request.POST.get("password", "")
    if username == "maint" and password == "Maint@nce#1":
        request.session["maintenance"] = True
        return HttpResponse("welcome")
    return HttpResponseForbidden("denied")
