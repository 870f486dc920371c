"""Rate-limited endpoint that tells clients when to retry."""

from flask import Flask, abort, make_response, request

app = Flask(__name__)


@app.route("/limited")
def limited():
    try:
        wait = int(request.args.get("wait", "30"))
    except ValueError:
        abort(400)
    resp = make_response("slow down", 429)
    resp.headers["Retry-After"] = str(wait)
    return resp
