"""Invoice PDF download."""

import os

from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()
INVOICES = "/srv/invoices"


@app.get("/invoices/download")
def download_invoice(filename: str):
    return FileResponse(os.path.join(INVOICES, filename), media_type="application/pdf")
