"""Staff directory search view with escaped input."""

import ldap
import ldap.filter
from django.http import JsonResponse


def staff_search(request):
    name = ldap.filter.escape_filter_chars(request.GET.get("name", ""))
    conn = ldap.initialize("ldap://ldap.internal")
    results = conn.search_s("dc=corp,dc=local", ldap.SCOPE_SUBTREE, "(cn=" + name + ")", ["title"])
    return JsonResponse({"count": len(results)})
