"""Fetch a remote JSON document on behalf of the browser."""

import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/proxy/json")
async def proxy_json(target: str):
    async with httpx.AsyncClient(timeout=5) as client:
        resp = await client.get(target)
    return resp.json()
