"""Parse a posted XML settings document with the standard library."""

import xml.etree.ElementTree as ET

from flask import Flask, request

app = Flask(__name__)


@app.route("/settings/xml", methods=["POST"])
def settings_xml():
    root = ET.fromstring(request.get_data())
    return {child.tag: child.text for child in root}
