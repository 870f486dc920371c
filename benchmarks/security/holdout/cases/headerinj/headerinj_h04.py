import uuid

from django.http import JsonResponse


def order_status(request, order_id):
    incoming = request.headers.get("X-Request-Id", "")
    try:
        request_id = str(uuid.UUID(incoming))
    except ValueError:
        request_id = str(uuid.uuid4())
    response = JsonResponse({"order": order_id, "status": "shipped"})
    response["X-Request-Id"] = request_id
    return response
