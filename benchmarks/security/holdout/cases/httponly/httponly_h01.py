import secrets

from flask import Flask, make_response, request

from .store import create_session, verify_assertion

app = Flask(__name__)


@app.post("/sso/callback")
def sso_callback():
    assertion = request.form.get("SAMLResponse", "")
    user_id = verify_assertion(assertion)
    if user_id is None:
        return {"error": "bad assertion"}, 403
    sid = secrets.token_urlsafe(32)
    create_session(sid, user_id)
    resp = make_response("", 302)
    resp.headers["Location"] = "/app"
    resp.set_cookie("sid", sid, secure=True, httponly=True, samesite="Lax")
    return resp
