import base64
import pickle

from flask import Flask, make_response, request

app = Flask(__name__)


def load_cart(raw):
    if raw is None:
        return []
    return pickle.loads(base64.urlsafe_b64decode(raw))


@app.route("/cart")
def view_cart():
    cart = load_cart(request.cookies.get("cart"))
    total = sum(item.get("price", 0) * item.get("qty", 1) for item in cart)
    resp = make_response({"items": cart, "total": total})
    resp.set_cookie("cart", base64.urlsafe_b64encode(pickle.dumps(cart)).decode(), secure=True, httponly=True)
    return resp
