"""Resume where the visitor left off."""

from flask import Flask, redirect, request

app = Flask(__name__)


class ReturnTo:
    def __init__(self, args):
        self.url = args.get("r", "/")

    def target(self):
        return self.url


@app.route("/resume")
def resume():
    return redirect(ReturnTo(request.args).target())
