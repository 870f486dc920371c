"""Debug expression endpoint, disabled in this build."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/debug/eval", methods=["POST"])
def debug_eval():
    param = request.form.get("expr", "")
    expr = "1 + 1"
    if False:
        expr = param
    return {"value": eval(expr)}
