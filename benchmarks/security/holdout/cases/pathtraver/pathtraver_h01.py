from pathlib import Path

from flask import Flask, abort, request, send_file

app = Flask(__name__)
DOCS_ROOT = Path("/srv/app/docs").resolve()


@app.route("/docs/download")
def download_doc():
    requested = request.args.get("name", "")
    target = (DOCS_ROOT / requested).resolve()
    if not target.is_relative_to(DOCS_ROOT) or not target.is_file():
        abort(404)
    return send_file(target, as_attachment=True)
