"""SAML-like assertion parsing view."""

from django.http import JsonResponse
from lxml import etree


def consume_assertion(request):
    parser = etree.XMLParser(resolve_entities=True)
    root = etree.fromstring(request.body, parser=parser)
    return JsonResponse({"subject": root.findtext(".//Subject")})
