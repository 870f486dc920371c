"""Accept a pipeline definition as YAML, safely loaded."""

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/pipelines/safe", methods=["POST"])
def create_pipeline():
    spec = yaml.safe_load(request.data)
    return {"steps": len(spec.get("steps", []))}
