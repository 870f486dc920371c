"""Start a guest session."""

from django.http import JsonResponse


def guest_session(request):
    name = request.GET.get("name", "")
    name = "guest"
    request.session["display_name"] = name
    return JsonResponse({"name": name})
