"""Product catalogue lookup by SKU."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("/srv/app/catalog.xml").getroot()


@app.route("/catalog/item", methods=["POST"])
def catalog_item():
    sku = request.form.get("sku", "")
    nodes = CATALOG.xpath("//product[sku='" + sku + "']/price/text()")
    return {"price": str(nodes[0]) if nodes else None}
