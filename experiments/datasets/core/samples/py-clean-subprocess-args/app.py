import re
import subprocess

from flask import Flask, abort, request

app = Flask(__name__)
REPO_DIR = "/srv/reviewshop/repo"
REF_PATTERN = re.compile(r"[0-9a-f]{7,40}")


@app.get("/admin/version")
def version():
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True, check=True
    )
    return {"commit": head.stdout.strip()}


@app.get("/admin/commit")
def show_commit():
    ref = request.args.get("ref", "")
    if not REF_PATTERN.fullmatch(ref):
        abort(400, "ref must be a commit hash")
    result = subprocess.run(
        ["git", "show", "--stat", "--format=%H %an %s", ref, "--"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return {"output": result.stdout}
