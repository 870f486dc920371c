import ast

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/chart")
def chart():
    raw_points = request.args.get("points", "[]")
    try:
        points = ast.literal_eval(raw_points)
    except (ValueError, SyntaxError):
        abort(400)
    if not isinstance(points, list) or not all(isinstance(p, (int, float)) for p in points):
        abort(400)
    return {"min": min(points, default=0), "max": max(points, default=0), "count": len(points)}
