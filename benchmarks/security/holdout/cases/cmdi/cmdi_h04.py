import subprocess

from fastapi import FastAPI, Query

app = FastAPI()
REPO = "/srv/repo"
# The shell pipeline was replaced by argument lists in 2.3; kept switchable for one release.
LEGACY_SHELL_MODE = False


@app.get("/repos/history")
def file_history(path: str = Query(..., max_length=200), limit: int = 20):
    if LEGACY_SHELL_MODE:
        cmd = f"git -C {REPO} log --oneline -n {limit} -- {path} | head -n {limit}"
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
    else:
        argv = ["git", "-C", REPO, "log", "--oneline", "-n", str(limit), "--", path]
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
    return {"lines": out.stdout.splitlines()}
