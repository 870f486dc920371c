"""Default product price."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("/srv/app/catalog.xml")


@app.route("/catalog/default")
def default_price():
    param = request.args.get("sku", "")
    num = 86
    if (7 * 42) - num > 200:
        sku = "DEFAULT-001"
    else:
        sku = param
    nodes = CATALOG.xpath("//product[sku='" + sku + "']/price/text()")
    return {"price": str(nodes[0]) if nodes else None}
