"""Named pricing formulas; the client picks one by name."""

from flask import Flask, request

app = Flask(__name__)

FORMULAS = {
    "gross": "price * qty",
    "net": "price * qty * (1 - discount)",
    "tax": "price * qty * 0.2",
}


@app.route("/pricing")
def pricing():
    name = request.args.get("formula", "gross")
    expr = FORMULAS.get(name, "0")
    values = {"price": 12.5, "qty": 3, "discount": 0.1}
    return {"value": eval(expr, {"__builtins__": {}}, values)}
