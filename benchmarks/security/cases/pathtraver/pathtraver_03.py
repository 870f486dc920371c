"""Delete one of the user's media files."""

import os

from django.conf import settings
from django.http import JsonResponse


def delete_media(request):
    relative = request.POST.get("file", "")
    os.remove(os.path.join(settings.MEDIA_ROOT, relative))
    return JsonResponse({"deleted": relative})
