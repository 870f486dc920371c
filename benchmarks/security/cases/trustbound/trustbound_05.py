"""Save every submitted wizard field into the session."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/wizard/step", methods=["POST"])
def wizard_step():
    for field in request.form:
        session["wizard_" + field] = request.form[field]
    return "next"
