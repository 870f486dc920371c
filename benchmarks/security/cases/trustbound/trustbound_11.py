"""Remember the landing campaign."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/campaign", methods=["POST"])
def campaign():
    param = request.get_json().get("campaign", "")
    values = ["organic"]
    values.append(param)
    values.append("spring-sale")
    values.pop(1)
    session["campaign"] = values[0]
    return "ok"
