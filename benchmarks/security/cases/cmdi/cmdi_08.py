"""Transcode a media file to another container format."""

import subprocess

from fastapi import FastAPI
from helpers_cmdi_08 import transcode_command

app = FastAPI()


@app.post("/media/transcode")
def transcode(source: str, fmt: str = "mp4"):
    proc = subprocess.run(transcode_command(source, fmt), shell=True, capture_output=True)
    return {"ok": proc.returncode == 0}
