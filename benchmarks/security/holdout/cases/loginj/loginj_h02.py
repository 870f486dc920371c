import logging

from flask import Flask, jsonify, request

from .auth import verify_credentials

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.post("/api/session")
def create_session():
    creds = request.get_json(silent=True) or {}
    username = creds.get("username", "")
    if not verify_credentials(username, creds.get("password", "")):
        logger.warning("Failed login attempt for user %s from %s", username, request.remote_addr)
        return jsonify(error="invalid credentials"), 401
    logger.info("User logged in: %s", username)
    return jsonify(ok=True)
