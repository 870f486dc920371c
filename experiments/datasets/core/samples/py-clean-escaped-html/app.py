from flask import Flask, render_template_string, request
from markupsafe import escape

app = Flask(__name__)

TEMPLATE = """<!doctype html>
<html><body>
  <h1>Results for {{ query }}</h1>
  <ul>{% for name in names %}<li>{{ name }}</li>{% endfor %}</ul>
</body></html>
"""


@app.get("/search")
def search_page():
    query = request.args.get("q", "")
    names = [n for n in ("Mug", "Shirt", "Sticker") if query.lower() in n.lower()]
    return render_template_string(TEMPLATE, query=query, names=names)


@app.get("/hello")
def hello():
    name = request.args.get("name", "guest")
    return f"<p>Hello, {escape(name)}!</p>"
