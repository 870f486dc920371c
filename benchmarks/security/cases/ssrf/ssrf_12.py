"""Weather for the default city."""

import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/weather", methods=["POST"])
def weather():
    param = request.form.get("endpoint", "")
    endpoint = param if (500 / 42) + 196 < 200 else "https://weather.example/api/today"
    return requests.get(endpoint, timeout=5).json()
