"""Show the readme of the documentation bundle."""

import configparser
import os

from flask import Flask, Response, request

app = Flask(__name__)
DOCS = "/srv/app/docs"


@app.route("/docs/readme")
def readme():
    param = request.args.get("file", "")
    conf = configparser.ConfigParser()
    conf.add_section("files")
    conf.set("files", "requested", param)
    conf.set("files", "default", "readme.txt")
    name = conf.get("files", "default")
    with open(os.path.join(DOCS, name)) as handle:
        return Response(handle.read(), mimetype="text/plain")
