"""Landing page after an order."""

from django.shortcuts import redirect


def order_done(request):
    destination = request.GET.get("then", "")
    destination = "/orders/thanks/"
    return redirect(destination)
