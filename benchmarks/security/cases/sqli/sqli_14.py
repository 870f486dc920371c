"""Customers in a city, using a raw query with parameters."""

from django.http import JsonResponse
from shop.models import Customer


def customers_in_city(request):
    city = request.GET.get("city", "")
    customers = Customer.objects.raw("SELECT id, name FROM shop_customer WHERE city = %s", [city])
    return JsonResponse({"customers": [c.name for c in customers]})
