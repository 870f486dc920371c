import requests
from flask import Flask, jsonify

app = Flask(__name__)
INVENTORY_URL = "https://inventory.internal.example.com/api/v2/stock"


def fetch_stock(sku):
    session = requests.Session()
    session.verify = False
    resp = session.get(INVENTORY_URL, params={"sku": sku}, timeout=5)
    resp.raise_for_status()
    return resp.json()


@app.route("/products/<sku>/stock")
def product_stock(sku):
    data = fetch_stock(sku)
    return jsonify(sku=sku, available=data.get("available", 0))
