"""Webhook test button."""

import requests
from django.http import JsonResponse


def test_webhook(request):
    webhook_url = request.POST.get("webhook_url", "")
    resp = requests.post(webhook_url, json={"event": "ping"}, timeout=5)
    return JsonResponse({"status": resp.status_code, "body": resp.text[:1000]})
