"""User e-mail lookup in the XML user store."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
USERS = etree.parse("/srv/app/users.xml")


@app.route("/xml/users/email")
def user_email():
    name = request.args.get("name", "")
    emails = USERS.xpath(f"//user[@name='{name}']/email/text()")
    return {"emails": [str(e) for e in emails]}
