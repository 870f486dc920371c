"""Cart counter fragment."""

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/cart/count")
def cart_count():
    try:
        count = int(request.args.get("n", "0"))
    except ValueError:
        abort(400)
    return f"<span class='count'>{count} items</span>"
