"""Service status page for a fixed set of services."""

import subprocess

from django.http import HttpResponseBadRequest, JsonResponse

KNOWN_SERVICES = {"nginx", "redis-server", "postgresql"}


def service_status(request):
    service = request.GET.get("service", "")
    if service not in KNOWN_SERVICES:
        return HttpResponseBadRequest("unknown service")
    proc = subprocess.run(f"systemctl is-active {service}", shell=True, capture_output=True, text=True)
    return JsonResponse({"service": service, "state": proc.stdout.strip()})
