"""Look up a printer by location."""

from flask import Flask, request
from ldap3 import Connection, Server

app = Flask(__name__)


@app.route("/printers", methods=["POST"])
def printers():
    param = request.form.get("location", "")
    values = ["hq-floor1"]
    values.append(param)
    values.append("hq-floor2")
    values.remove(param)
    location = values[-1]
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search("ou=printers,dc=example,dc=com", "(l=%s)" % location, attributes=["cn"])
    return {"printers": [str(e.cn) for e in conn.entries]}
