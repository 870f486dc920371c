"""Members of the on-call group."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)


@app.route("/oncall")
def oncall():
    param = request.args.get("group", "")
    num = 86
    if (7 * 42) - num > 200:
        group = "oncall"
    else:
        group = param
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search("ou=groups,dc=example,dc=com", "(cn=" + group + ")", attributes=["member"])
    return {"members": [str(e.member) for e in conn.entries]}
