from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/search")
def search():
    query = request.args.get("q", "")
    hits = [title for title in ("Getting started", "FAQ", "Pricing") if query.lower() in title.lower()]
    items = "".join("<li>%s</li>" % escape(h) for h in hits)
    return "<h2>Results for %s</h2><ul>%s</ul>" % (escape(query), items)
