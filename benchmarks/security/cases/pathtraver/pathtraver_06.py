"""Read back a tenant's CSV export."""

from flask import Flask, Response, request
from helpers_pathtraver_06 import export_path

app = Flask(__name__)


@app.route("/exports/<tenant>")
def read_export(tenant):
    name = request.args.get("export", "latest")
    with open(export_path(tenant, name)) as handle:
        body = handle.read()
    return Response(body, mimetype="text/csv")
