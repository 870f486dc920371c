import hashlib

from django.http import HttpResponse, HttpResponseNotModified

from .models import Document


def document_raw(request, doc_id):
    doc = Document.objects.get(pk=doc_id)
    content = doc.body.encode("utf-8")
    etag = '"%s"' % hashlib.md5(content, usedforsecurity=False).hexdigest()
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(content, content_type="text/markdown")
    response["ETag"] = etag
    return response
