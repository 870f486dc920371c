import requests
from django.conf import settings
from django.http import JsonResponse

PAYMENTS_CA_BUNDLE = "/etc/ssl/certs/payments-ca.pem"


def refund(request, payment_id):
    resp = requests.post(
        f"{settings.PAYMENTS_BASE_URL}/payments/{int(payment_id)}/refund",
        json={"reason": request.POST.get("reason", "customer_request")[:200]},
        verify=PAYMENTS_CA_BUNDLE,
        cert=("/etc/app/client.crt", "/etc/app/client.key"),
        timeout=10,
    )
    return JsonResponse({"refunded": resp.ok}, status=200 if resp.ok else 502)
