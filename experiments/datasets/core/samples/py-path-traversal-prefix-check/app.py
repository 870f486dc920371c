import os

from flask import Flask, abort, request, send_file

app = Flask(__name__)
REPORTS_DIR = "/srv/reviewshop/reports"


@app.get("/reports/download")
def download_report():
    name = request.args.get("name", "")
    if not name.endswith(".pdf"):
        abort(400, "only PDF reports can be downloaded")
    path = os.path.join(REPORTS_DIR, name)
    if not path.startswith(REPORTS_DIR):
        abort(403)
    if not os.path.isfile(path):
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True)
