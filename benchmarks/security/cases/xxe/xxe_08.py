"""Upload a product feed file, entities disabled."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.route("/feeds/upload/safe", methods=["POST"])
def upload_feed():
    upload = request.files["feed"]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(upload.stream, parser)
    return {"products": [p.findtext("name") for p in tree.iter("product")]}
