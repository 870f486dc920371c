"""Remember the preferred currency."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/currency")
def currency():
    prefs = {"language": "en", "currency": request.cookies.get("currency", "EUR")}
    session["currency"] = prefs["currency"]
    return "ok"
