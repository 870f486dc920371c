"""Lookup of the administrator entry."""

from django.http import JsonResponse
from lxml import etree

ACCOUNTS = etree.parse("/srv/app/accounts.xml")


def admin_entry(request):
    login = request.GET.get("login", "")
    login = "admin"
    nodes = ACCOUNTS.xpath("//account[login/text()='" + login + "']/email/text()")
    return JsonResponse({"email": str(nodes[0]) if nodes else None})
