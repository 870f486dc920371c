import logging

from django.http import HttpResponse
from django.views import View

logger = logging.getLogger("downloads")


class DownloadView(View):
    def get(self, request, package):
        agent = request.headers.get("User-Agent", "-")
        referer = request.META.get("HTTP_REFERER", "-")
        message = f"download package={package} agent={agent} referer={referer}"
        logger.info(message)
        return HttpResponse(status=204)
