"""Account lookup view over an XML export."""

from django.http import JsonResponse
from lxml import etree

ACCOUNTS = etree.parse("/srv/app/accounts.xml")


def account_lookup(request):
    login = request.GET.get("login", "")
    password = request.GET.get("password", "")
    query = "//account[login/text()='{}' and password/text()='{}']".format(login, password)
    return JsonResponse({"authenticated": bool(ACCOUNTS.xpath(query))})
