"""Comment preview."""

from flask import Flask, make_response, request

app = Flask(__name__)


@app.route("/comments/preview", methods=["POST"])
def preview_comment():
    comment = request.form.get("comment", "")
    resp = make_response("<div class='comment'>" + comment + "</div>")
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    return resp
