from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()

DESTINATIONS = {
    "docs": "https://docs.example.com/",
    "status": "https://status.example.com/",
    "support": "https://example.com/support",
}


@app.get("/go/{key}")
def go(key: str):
    target = DESTINATIONS.get(key, "https://example.com/")
    return RedirectResponse(url=target, status_code=302)
