"""Evaluate one of the stored expressions."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/expr", methods=["POST"])
def expr():
    param = request.get_data(as_text=True)
    values = []
    values.append("2 * 21")
    values.append(param)
    values.append("len('reviewlab')")
    values.pop(1)
    chosen = values[1]
    return {"value": eval(chosen)}
