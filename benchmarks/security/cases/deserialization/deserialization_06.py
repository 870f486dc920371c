"""Load user preferences sent in a header."""

import pickle

from flask import Flask, request
from helpers_deserialization_06 import unpack_blob

app = Flask(__name__)


@app.route("/preferences")
def preferences():
    blob = request.headers.get("X-Preferences", "")
    prefs = pickle.loads(unpack_blob(blob))
    return {"preferences": prefs}
