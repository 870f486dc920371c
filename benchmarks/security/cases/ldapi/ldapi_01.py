"""Directory lookup of a user's e-mail address."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=com"


@app.route("/directory/user")
def directory_user():
    username = request.args.get("uid", "")
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search(BASE_DN, f"(uid={username})", attributes=["mail"])
    return {"entries": [str(e.mail) for e in conn.entries]}
