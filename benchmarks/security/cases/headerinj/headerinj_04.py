"""Download an export with the file name chosen by the caller."""

from flask import Flask, make_response, request

app = Flask(__name__)


@app.route("/export")
def export():
    filename = request.args.get("filename", "export.csv")
    resp = make_response("id,name\n1,widget\n")
    resp.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return resp
