"""Read a document from the shared documents tree."""

import os

from django.http import FileResponse, Http404

DOCS_ROOT = "/srv/docs"


def read_document(request):
    requested = request.GET.get("path", "")
    full = os.path.realpath(os.path.join(DOCS_ROOT, requested))
    if os.path.commonpath([full, DOCS_ROOT]) != DOCS_ROOT:
        raise Http404("no such document")
    return FileResponse(open(full, "rb"))
