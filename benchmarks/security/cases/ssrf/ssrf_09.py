"""Search a fixed third-party API with the user's terms."""

import requests
from flask import Flask, request

app = Flask(__name__)
SEARCH_API = "https://api.books.example/v1/search"


@app.route("/books/search")
def book_search():
    terms = request.args.get("q", "")
    resp = requests.get(SEARCH_API, params={"q": terms, "limit": 10}, timeout=5)
    return resp.json()
