"""Hello page."""

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/hello", response_class=HTMLResponse)
def hello(name: str = "world"):
    return HTMLResponse(content=f"<html><body><p>Hello {name}</p></body></html>")
