import base64
import pickle

from flask import Flask, jsonify, request

app = Flask(__name__)

DEFAULT_PREFERENCES = {"theme": "light", "page_size": 20}


def decode_preferences(blob):
    raw = base64.urlsafe_b64decode(blob.encode("ascii"))
    return pickle.loads(raw)


def encode_preferences(prefs):
    return base64.urlsafe_b64encode(pickle.dumps(prefs)).decode("ascii")


@app.get("/dashboard")
def dashboard():
    cookie = request.cookies.get("prefs")
    prefs = decode_preferences(cookie) if cookie else dict(DEFAULT_PREFERENCES)
    response = jsonify(theme=prefs.get("theme"), page_size=prefs.get("page_size"))
    response.set_cookie("prefs", encode_preferences(prefs), secure=True, httponly=True)
    return response
