"""Category listing restricted to known categories."""

from flask import Flask, abort, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("/srv/app/catalog.xml")
CATEGORIES = {"books", "music", "games"}


@app.route("/catalog/category")
def category():
    name = request.args.get("name", "")
    if name not in CATEGORIES:
        abort(404)
    names = CATALOG.xpath("//product[@category='%s']/name/text()" % name)
    return {"products": [str(n) for n in names]}
