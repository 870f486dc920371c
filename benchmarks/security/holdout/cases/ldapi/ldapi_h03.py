import json

import ldap
from django.http import JsonResponse
from helpers_ldapi_h03 import person_filter


def find_by_email(request):
    body = json.loads(request.body or b"{}")
    email = body.get("email", "")
    conn = ldap.initialize("ldap://ldap.example.org")
    conn.simple_bind_s()
    flt = person_filter("mail", email)
    results = conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, flt, ["cn", "telephoneNumber"])
    found = [{"dn": dn, "cn": attrs.get("cn", [b""])[0].decode()} for dn, attrs in results]
    return JsonResponse({"matches": found})
