import os

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views import View


class ThumbnailView(View):
    size = "200x200"

    def post(self, request):
        upload = request.FILES.get("image")
        if upload is None:
            return HttpResponseBadRequest("no image")
        name = request.POST.get("name") or upload.name
        src = os.path.join(settings.MEDIA_ROOT, "incoming", name)
        with open(src, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        dst = src + ".thumb.png"
        status = os.system("convert '%s' -resize %s '%s'" % (src, self.size, dst))
        return HttpResponse(status=201 if status == 0 else 500)
