"""Maintenance console login against the stored password hash."""

from console.models import MaintenanceAccount
from django.contrib.auth.hashers import check_password
from django.http import HttpResponse, HttpResponseForbidden


def maintenance_login(request):
    username = request.POST.get("username", "")
    password = request.POST.get("password", "")
    account = MaintenanceAccount.objects.filter(username=username).first()
    if account is not None and check_password(password, account.password_hash):
        request.session["maintenance"] = True
        return HttpResponse("welcome")
    return HttpResponseForbidden("denied")
