"""Look up the service account."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)


@app.route("/directory/service")
def service_account():
    param = request.cookies.get("account", "")
    accounts = {"keyA": "svc-backup", "keyB": param}
    account = accounts["keyA"]
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search("ou=services,dc=example,dc=com", f"(uid={account})", attributes=["description"])
    return {"entries": len(conn.entries)}
