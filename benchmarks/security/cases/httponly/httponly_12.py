"""Log out: drop the session cookie."""

from django.http import HttpResponse


def logout_view(request):
    response = HttpResponse("bye")
    response.delete_cookie("sessionid")
    return response
