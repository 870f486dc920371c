"""Read the titles of a posted RSS document with pulldom."""

import xml.sax
from xml.dom import pulldom
from xml.sax.handler import feature_external_ges

from flask import Flask, request

app = Flask(__name__)


@app.route("/rss/titles", methods=["POST"])
def rss_titles():
    sax_parser = xml.sax.make_parser()
    sax_parser.setFeature(feature_external_ges, True)
    events = pulldom.parseString(request.get_data(as_text=True), parser=sax_parser)
    titles = []
    for event, node in events:
        if event == pulldom.START_ELEMENT and node.tagName == "title":
            events.expandNode(node)
            titles.append(node.toxml())
    return {"titles": titles}
