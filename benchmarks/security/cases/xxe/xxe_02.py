"""Upload a product feed file."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.route("/feeds/upload", methods=["POST"])
def upload_feed():
    upload = request.files["feed"]
    parser = etree.XMLParser(load_dtd=True, resolve_entities=True)
    tree = etree.parse(upload.stream, parser)
    return {"products": [p.findtext("name") for p in tree.iter("product")]}
