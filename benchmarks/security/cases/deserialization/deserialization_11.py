"""Defaults for a new cart, deep-copied through pickle."""

import pickle

from flask import Flask, request

app = Flask(__name__)

DEFAULT_CART = pickle.dumps({"items": [], "currency": "EUR", "coupons": []})


@app.route("/cart/new", methods=["POST"])
def new_cart():
    cart = pickle.loads(DEFAULT_CART)
    cart["currency"] = request.form.get("currency", "EUR")[:3]
    return cart
