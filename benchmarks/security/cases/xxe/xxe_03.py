"""Count the elements of a posted XML document with a SAX handler."""

import io
import xml.sax
from xml.sax.handler import ContentHandler, feature_external_ges

from flask import Flask, request

app = Flask(__name__)


class Counter(ContentHandler):
    def __init__(self):
        super().__init__()
        self.count = 0
        self.text = []

    def startElement(self, name, attrs):
        self.count += 1

    def characters(self, content):
        self.text.append(content)


@app.route("/xml/count", methods=["POST"])
def count_elements():
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    handler = Counter()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(request.get_data()))
    return {"elements": handler.count, "text": "".join(handler.text)[:200]}
