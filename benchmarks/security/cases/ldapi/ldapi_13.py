"""Phone book search: the whole query string is the name to look for."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)


@app.route("/phonebook")
def phonebook():
    name = request.query_string.decode()
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search(
        "ou=people,dc=example,dc=com", "(&(objectClass=person)(sn=" + name + "))", attributes=["telephoneNumber"]
    )
    return {"numbers": [str(e.telephoneNumber) for e in conn.entries]}
