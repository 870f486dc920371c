"""Directory lookup of a user's e-mail address, with escaping."""

from flask import Flask, request
from ldap3 import Connection, Server
from ldap3.utils.conv import escape_filter_chars

app = Flask(__name__)


@app.route("/directory/user/safe")
def directory_user():
    username = escape_filter_chars(request.args.get("uid", ""))
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search("ou=people,dc=example,dc=com", f"(uid={username})", attributes=["mail"])
    return {"entries": [str(e.mail) for e in conn.entries]}
