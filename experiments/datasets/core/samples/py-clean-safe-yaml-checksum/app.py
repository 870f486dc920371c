import hashlib

import yaml
from flask import Flask, Response, request

app = Flask(__name__)


@app.post("/catalog/import")
def import_catalog():
    document = yaml.safe_load(request.get_data(as_text=True))
    items = document.get("items", []) if isinstance(document, dict) else []
    return {"imported": len(items)}


@app.get("/catalog/export")
def export_catalog():
    body = yaml.safe_dump({"items": [{"sku": "A-1", "price": 10}]}).encode("utf-8")
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    return Response(body, mimetype="application/yaml", headers={"ETag": etag})
