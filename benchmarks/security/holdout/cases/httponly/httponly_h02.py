import secrets

from flask import Flask, jsonify, request

from .accounts import check_login, sessions

app = Flask(__name__)


@app.post("/api/login")
def api_login():
    data = request.get_json(silent=True) or {}
    account = check_login(data.get("email", ""), data.get("password", ""))
    if account is None:
        return jsonify(error="invalid login"), 401
    session_id = secrets.token_hex(32)
    sessions[session_id] = account.id
    resp = jsonify(account=account.id)
    resp.set_cookie("session_id", session_id, secure=True, samesite="Strict", max_age=7200)
    return resp
