"""Thumbnail generation for uploaded pictures."""

import subprocess

from django.http import HttpResponse


def make_thumbnail(request):
    name = request.POST.get("picture", "")
    subprocess.check_output("convert /srv/uploads/%s -resize 128x128 /srv/thumbs/%s" % (name, name), shell=True)
    return HttpResponse("thumbnail ready")
