"""Log out: drop the session cookie."""

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/logout", methods=["POST"])
def logout():
    resp = make_response("bye")
    resp.delete_cookie("session_id")
    return resp
