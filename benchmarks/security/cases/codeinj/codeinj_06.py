"""Spreadsheet-style formula evaluation in a restricted namespace."""

from flask import Flask, request

app = Flask(__name__)


def evaluate(formula, cells):
    return eval(formula, {"__builtins__": {}}, cells)


@app.route("/sheet/eval", methods=["POST"])
def sheet_eval():
    data = request.get_json()
    cells = {"A1": 3, "A2": 4}
    return {"value": evaluate(data["formula"], cells)}
