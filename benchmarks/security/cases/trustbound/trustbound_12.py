"""Remember the checkout step."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/checkout/step")
def checkout_step():
    param = request.args.get("step", "")
    stage = "review"
    match stage:
        case "review":
            value = "step-2"
        case _:
            value = param
    session["checkout_step"] = value
    return "ok"
