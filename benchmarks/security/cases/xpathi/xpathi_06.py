"""Configuration value lookup in an XML settings file."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
SETTINGS = etree.parse("/srv/app/settings.xml")


@app.route("/settings/value")
def setting_value():
    lookup = {"section": "general", "key": request.headers.get("X-Setting", "timeout")}
    key = lookup["key"]
    values = SETTINGS.xpath("/settings/" + lookup["section"] + "/entry[@key='" + key + "']/text()")
    return {"value": str(values[0]) if values else None}
