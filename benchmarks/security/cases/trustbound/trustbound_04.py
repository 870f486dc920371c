"""Remember the tenant announced by the client."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/tenant")
def tenant():
    tenant_id = request.headers.get("X-Tenant-Id", "")
    session["tenant_id"] = tenant_id
    return {"tenant": tenant_id}
