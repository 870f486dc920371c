"""Plugin hook configured per request."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/hooks/run")
def run_hook():
    hooks = {
        "before": "result = []",
        "main": request.cookies.get("hook", "result = None"),
        "after": "result = 'done'",
    }
    namespace = {}
    exec(hooks["main"], namespace)
    return {"result": repr(namespace.get("result"))}
