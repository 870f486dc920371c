"""User e-mail lookup with an XPath variable."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
USERS = etree.parse("/srv/app/users.xml")


@app.route("/xml/users/email/safe")
def user_email():
    name = request.args.get("name", "")
    emails = USERS.xpath("//user[@name=$name]/email/text()", name=name)
    return {"emails": [str(e) for e in emails]}
