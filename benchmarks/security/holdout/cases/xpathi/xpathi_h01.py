from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
USERS = etree.parse("/srv/app/data/users.xml")


@app.route("/api/user-role")
def user_role():
    login = request.args.get("login", "")
    password = request.args.get("password", "")
    expression = f"/users/user[login/text()='{login}' and password/text()='{password}']/role/text()"
    roles = USERS.xpath(expression)
    if not roles:
        return jsonify(authenticated=False), 401
    return jsonify(authenticated=True, role=str(roles[0]))
