"""Preview a YAML configuration pasted into a form."""

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/config/preview", methods=["POST"])
def preview_config():
    text = request.form.get("config", "")
    config = yaml.unsafe_load(text)
    return {"keys": sorted(config) if isinstance(config, dict) else []}
