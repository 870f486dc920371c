"""Disk free report."""

import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/diag/df")
def disk_free():
    param = request.cookies.get("df_opts", "")
    mode = "summary"
    match mode:
        case "summary":
            option = "-h"
        case _:
            option = param
    os.system("df " + option + " > /tmp/df.txt")
    with open("/tmp/df.txt") as handle:
        return handle.read()
