"""Report view that tags the response with the requested report name."""

from django.http import HttpResponse


def report(request):
    name = request.GET.get("report", "daily")
    response = HttpResponse("report body", content_type="text/plain")
    response["X-Report-Name"] = name
    return response
