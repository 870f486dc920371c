"""Password reset requests, audited through a helper."""

import logging

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
audit_log = logging.getLogger("audit")


class ResetRequest(BaseModel):
    email: str


def audit(event, detail):
    audit_log.info("%s: %s", event, detail)


@app.post("/password/reset")
def reset_password(body: ResetRequest):
    audit("password-reset-requested", body.email)
    return {"status": "sent"}
