from flask import Flask, jsonify, request
from ldap3 import SUBTREE, Connection, Server
from ldap3.utils.conv import escape_filter_chars

app = Flask(__name__)
server = Server("ldaps://ldap.corp.example")


@app.route("/directory/lookup")
def lookup():
    username = escape_filter_chars(request.args.get("uid", ""))
    conn = Connection(server, auto_bind=True)
    search_filter = f"(&(objectClass=inetOrgPerson)(uid={username}))"
    conn.search("ou=people,dc=corp,dc=example", search_filter, SUBTREE, attributes=["cn", "mail"])
    people = [{"cn": str(e.cn), "mail": str(e.mail)} for e in conn.entries]
    conn.unbind()
    return jsonify(people)
