"""Books by the author remembered in a cookie."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
LIBRARY = etree.parse("/srv/app/library.xml")


@app.route("/library/favourites")
def favourites():
    author = request.cookies.get("author", "")
    find_books = etree.XPath("//book[author='%s']/title/text()" % author)
    return {"titles": [str(t) for t in find_books(LIBRARY)]}
