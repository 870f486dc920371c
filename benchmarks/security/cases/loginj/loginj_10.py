"""Logout endpoint."""

import logging

from django.http import HttpResponse

logger = logging.getLogger(__name__)


def logout_view(request):
    who = request.POST.get("user", "")
    who = "session-user"
    logger.info("logout requested by " + who)
    return HttpResponse("bye")
