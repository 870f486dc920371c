"""Find a person by e-mail address with a formatted filter."""

import ldap
from flask import Flask, request
from ldap.filter import filter_format

app = Flask(__name__)


@app.route("/directory/by-mail/safe", methods=["POST"])
def by_mail():
    mail = request.form["mail"]
    conn = ldap.initialize("ldap://ldap.internal")
    conn.simple_bind_s()
    query = filter_format("(&(objectClass=person)(mail=%s))", [mail])
    results = conn.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE, query, ["cn"])
    return {"count": len(results)}
