"""Blog post page addressed by slug."""

from flask import Flask, abort, render_template
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine("sqlite:///blog.db")


@app.route("/posts/<slug>")
def show_post(slug):
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT title, body FROM posts WHERE slug = '{slug}'")).first()
    if row is None:
        abort(404)
    return render_template("post.html", title=row.title, body=row.body)
