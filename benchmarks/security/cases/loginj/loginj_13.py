"""Access log for the legacy endpoint."""

from urllib.parse import unquote

from flask import Flask, request

app = Flask(__name__)


@app.route("/legacy")
def legacy():
    raw = unquote(request.query_string.decode("latin-1"))
    app.logger.info("legacy call with query " + raw)
    return "gone", 410
