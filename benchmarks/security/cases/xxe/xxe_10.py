"""Count the elements of a posted XML document; external entities off."""

import io
import xml.sax
from xml.sax.handler import ContentHandler, feature_external_ges, feature_external_pes

from flask import Flask, request

app = Flask(__name__)


class Counter(ContentHandler):
    def __init__(self):
        super().__init__()
        self.count = 0

    def startElement(self, name, attrs):
        self.count += 1


@app.route("/xml/count/safe", methods=["POST"])
def count_elements():
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, False)
    parser.setFeature(feature_external_pes, False)
    handler = Counter()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(request.get_data()))
    return {"elements": handler.count}
