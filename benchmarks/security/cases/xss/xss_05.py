"""Dashboard with a banner message passed in the URL."""

from django.shortcuts import render
from django.utils.safestring import mark_safe


def dashboard(request):
    message = request.GET.get("banner", "")
    return render(request, "dashboard.html", {"banner": mark_safe(message)})
