"""Search people matching any of several names."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)


class Directory:
    def __init__(self, url):
        self.conn = Connection(Server(url), auto_bind=True)

    def any_of(self, names):
        clauses = ""
        for name in names:
            clauses += "(cn=" + name + ")"
        self.conn.search("dc=example,dc=com", "(|" + clauses + ")", attributes=["mail"])
        return [str(e.mail) for e in self.conn.entries]


@app.route("/directory/any", methods=["POST"])
def any_of():
    names = request.get_json().get("names", [])
    return {"mails": Directory("ldap://ldap.internal").any_of(names)}
