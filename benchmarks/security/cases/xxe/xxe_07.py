"""Import an order sent as XML, parsed with defusedxml."""

from defusedxml.ElementTree import fromstring
from flask import Flask, request

app = Flask(__name__)


@app.route("/orders/import/safe", methods=["POST"])
def import_order():
    root = fromstring(request.get_data())
    return {"customer": root.findtext("customer"), "lines": len(root.findall("line"))}
