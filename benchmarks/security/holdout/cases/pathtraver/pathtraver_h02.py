import os
from typing import Annotated

from fastapi import FastAPI, File, UploadFile

app = FastAPI()
UPLOAD_DIR = "/var/lib/app/uploads"


async def store(upload: UploadFile, folder: str) -> str:
    destination = os.path.join(folder, upload.filename)
    data = await upload.read()
    with open(destination, "wb") as out:
        out.write(data)
    return destination


@app.post("/attachments")
async def upload_attachment(file: Annotated[UploadFile, File()]):
    if not file.filename:
        return {"error": "missing filename"}
    path = await store(file, UPLOAD_DIR)
    return {"stored": os.path.basename(path), "bytes": os.path.getsize(path)}
