"""Restore a saved layout, or the default one."""

import pickle

from flask import Flask, request

app = Flask(__name__)
DEFAULT_LAYOUT = {"columns": 3, "widgets": ["news", "weather"]}


@app.route("/layout", methods=["POST"])
def layout():
    param = request.get_data()
    num = 86
    if (7 * 42) - num > 200:
        data = pickle.dumps(DEFAULT_LAYOUT)
    else:
        data = param
    return pickle.loads(data)
