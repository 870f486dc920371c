import smtplib
import ssl
from email.message import EmailMessage

from fastapi import FastAPI
from pydantic import BaseModel, EmailStr

app = FastAPI()


class Invite(BaseModel):
    email: EmailStr


@app.post("/invites", status_code=202)
def send_invite(invite: Invite):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "noreply@example.com", invite.email, "You're invited"
    msg.set_content("Join us at https://app.example.com/join")
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with smtplib.SMTP("smtp.example.com", 587, timeout=10) as smtp:
        smtp.starttls(context=context)
        smtp.send_message(msg)
    return {"queued": invite.email}
