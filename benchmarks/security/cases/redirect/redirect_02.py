"""Logout view that returns to a caller-supplied page."""

from django.contrib.auth import logout
from django.http import HttpResponseRedirect


def logout_view(request):
    logout(request)
    return HttpResponseRedirect(request.GET.get("return_to", "/"))
