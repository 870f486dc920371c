from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("/srv/app/data/catalog.xml")


@app.post("/api/books/by-author")
def books_by_author():
    author = (request.get_json(silent=True) or {}).get("author", "")
    titles = CATALOG.xpath("//book[author = $name]/title/text()", name=author)
    return jsonify(titles=[str(t) for t in titles])
