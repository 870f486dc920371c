import requests
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/integrations/webhook/test")
def test_webhook():
    payload = request.get_json(force=True)
    target = payload.get("url", "")
    if not target.startswith(("http://", "https://")):
        return jsonify(error="url must be http(s)"), 400
    resp = requests.post(target, json={"event": "ping"}, timeout=5)
    return jsonify(status=resp.status_code, body=resp.text[:500])
