"""Redirect tracking view."""

import logging

from django.http import HttpResponse

logger = logging.getLogger(__name__)


def track_click(request):
    target = request.GET.get("target", "")
    logger.error("Outbound click to " + target)
    return HttpResponse(status=204)
