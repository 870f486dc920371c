"""Render a table of the tags submitted with a form."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/tags/table", methods=["POST"])
def tags_table():
    rows = []
    for tag in request.form.getlist("tag"):
        rows.append("<tr><td>{}</td></tr>".format(tag))
    return "<table>" + "".join(rows) + "</table>"
