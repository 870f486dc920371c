"""Check whether the calling user belongs to a group."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)


def member_filter(user, group):
    return "(&(uid={})(memberOf=cn={},ou=groups,dc=example,dc=com))".format(user, group)


@app.route("/authz/check")
def check_membership():
    user = request.headers.get("X-Remote-User", "")
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    found = conn.search("ou=people,dc=example,dc=com", member_filter(user, "admins"))
    return {"member": bool(found)}
