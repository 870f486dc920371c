"""Shared HTTP session for the inventory service, pinned to the internal CA."""

import requests
from django.http import JsonResponse

session = requests.Session()
session.verify = "/etc/ssl/certs/internal-ca.pem"


def stock_levels(request):
    resp = session.get("https://inventory.internal.example/api/stock", timeout=5)
    return JsonResponse(resp.json())
