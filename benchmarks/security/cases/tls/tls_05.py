"""Shared HTTP session for the inventory service."""

import requests
from django.http import JsonResponse

session = requests.Session()
session.verify = False


def stock_levels(request):
    resp = session.get("https://inventory.internal.example/api/stock", timeout=5)
    return JsonResponse(resp.json())
