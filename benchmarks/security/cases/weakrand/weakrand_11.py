"""Tip of the day, shown in a random order."""

import random

from flask import Flask

app = Flask(__name__)
TIPS = ["Use keyboard shortcuts", "Pin your favourite reports", "Try the dark theme"]


@app.route("/tips")
def tips():
    ordered = list(TIPS)
    random.shuffle(ordered)
    return {"tips": ordered}
