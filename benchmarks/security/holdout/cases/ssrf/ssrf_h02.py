import requests
from django.http import JsonResponse

HEALTH_ENDPOINTS = {
    "billing": "https://billing.internal.example.com/healthz",
    "search": "https://search.internal.example.com/healthz",
    "auth": "https://auth.internal.example.com/healthz",
}


def service_health(request, service):
    url = HEALTH_ENDPOINTS.get(service)
    if url is None:
        return JsonResponse({"error": "unknown service"}, status=404)
    try:
        resp = requests.get(url, timeout=3)
        healthy = resp.ok
    except requests.RequestException:
        healthy = False
    return JsonResponse({"service": service, "healthy": healthy})
