"""Comment preview with escaping."""

from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/comments/render", methods=["POST"])
def render_comment():
    comment = request.form.get("comment", "")
    return "<div class='comment'>" + escape(comment) + "</div>"
