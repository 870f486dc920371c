"""Find a person by e-mail address with python-ldap."""

import ldap
from flask import Flask, request

app = Flask(__name__)


@app.route("/directory/by-mail", methods=["POST"])
def by_mail():
    mail = request.form["mail"]
    conn = ldap.initialize("ldap://ldap.internal")
    conn.simple_bind_s()
    results = conn.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE, "(&(objectClass=person)(mail=%s))" % mail, ["cn"])
    return {"count": len(results)}
