import os

import requests
from django.http import JsonResponse


def get_maps_key():
    key = os.environ.get("MAPS_API_KEY", "")
    if not key:
        raise RuntimeError("MAPS_API_KEY is not configured")
    return key


def geocode(request):
    address = request.GET.get("address", "")
    if address == "":
        return JsonResponse({"error": "address is required"}, status=400)
    resp = requests.get(
        "https://maps.example.com/geocode/json",
        params={"address": address, "key": get_maps_key()},
        timeout=5,
    )
    return JsonResponse(resp.json())
