import json
import urllib.request
from urllib.parse import quote

from flask import Flask, request

app = Flask(__name__)
GITHUB_API = "https://api.github.com"


@app.route("/profile/github-stats")
def github_stats():
    username = request.args.get("user", "")
    url = "%s/users/%s/repos?per_page=100" % (GITHUB_API, quote(username, safe=""))
    req = urllib.request.Request(url, headers={"Accept": "application/vnd.github+json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        repos = json.load(resp)
    return {"user": username, "repos": len(repos), "stars": sum(r.get("stargazers_count", 0) for r in repos)}
