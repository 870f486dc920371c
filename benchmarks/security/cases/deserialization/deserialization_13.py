"""Load a saved report template."""

import pickle

from flask import Flask, request

app = Flask(__name__)


@app.route("/reports/template")
def report_template():
    payloads = {
        "posted": request.args.get("blob", "").encode("latin-1"),
        "builtin": pickle.dumps({"title": "Monthly", "charts": 2}),
    }
    template = pickle.loads(payloads["builtin"])
    return {"template": template}
