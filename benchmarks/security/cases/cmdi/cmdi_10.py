"""Word count of an uploaded text file."""

import shlex
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/files/wc")
def word_count():
    name = request.args.get("name", "")
    cmd = "wc -w /srv/texts/" + shlex.quote(name)
    out = subprocess.check_output(cmd, shell=True, text=True)
    return {"words": int(out.split()[0])}
