"""Read the titles of a posted RSS document with defusedxml's minidom."""

from defusedxml.minidom import parseString
from flask import Flask, request

app = Flask(__name__)


@app.route("/rss/titles/safe", methods=["POST"])
def rss_titles():
    document = parseString(request.get_data())
    return {"titles": [t.firstChild.nodeValue for t in document.getElementsByTagName("title") if t.firstChild]}
