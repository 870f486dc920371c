"""Books by an author, with a compiled XPath and a variable."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
LIBRARY = etree.parse("/srv/app/library.xml")
FIND_BOOKS = etree.XPath("//book[author=$author]/title/text()")


@app.route("/library/by-author", methods=["POST"])
def by_author():
    author = request.form.get("author", "")
    return {"titles": [str(t) for t in FIND_BOOKS(LIBRARY, author=author)]}
