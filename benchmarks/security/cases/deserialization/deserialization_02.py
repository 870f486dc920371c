"""Accept a pipeline definition as YAML."""

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/pipelines", methods=["POST"])
def create_pipeline():
    spec = yaml.load(request.data, Loader=yaml.Loader)
    return {"steps": len(spec.get("steps", []))}
