"""Staff directory search view."""

from django.http import JsonResponse
from ldap3 import SUBTREE, Connection, Server


def staff_search(request):
    name = request.GET.get("name", "")
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search("dc=corp,dc=local", "(&(objectClass=user)(cn=" + name + "))", SUBTREE, attributes=["cn", "title"])
    return JsonResponse({"people": [e.entry_to_json() for e in conn.entries]})
