"""Remember the last search so the results page can offer "search again"."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/search/remember")
def remember_search():
    session["last_query"] = request.query_string.decode("utf-8", "replace")
    return "ok"
