import secrets

from flask import Flask, g

from .db import save_api_key

app = Flask(__name__)


@app.post("/settings/api-keys")
def create_api_key():
    key = "rk_" + secrets.token_urlsafe(32)
    key_id = secrets.token_hex(4)
    save_api_key(owner=g.user.id, key_id=key_id, key=key)
    return {"id": key_id, "key": key}, 201
