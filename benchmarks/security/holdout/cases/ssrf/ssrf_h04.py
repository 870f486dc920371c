import httpx
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI()


class Subscription(BaseModel):
    event: str
    callback_url: str


class WebhookNotifier:
    def __init__(self, client: httpx.Client):
        self.client = client

    def ping(self, url: str) -> int:
        return self.client.post(url, json={"type": "ping"}, timeout=5).status_code


@app.post("/webhooks")
def register_webhook(sub: Subscription):
    if not sub.callback_url.startswith(("http://", "https://")):
        raise HTTPException(status_code=422, detail="callback must be an http(s) URL")
    status = WebhookNotifier(httpx.Client()).ping(sub.callback_url)
    return {"event": sub.event, "verified": status < 400}
