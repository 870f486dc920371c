import hashlib
import hmac
import secrets

from flask import Flask, request

app = Flask(__name__)
ITERATIONS = 600_000
PASSWORDS: dict[str, str] = {}


def make_hash(password: str) -> str:
    salt = secrets.token_bytes(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${dk.hex()}"


def check_hash(password: str, stored: str) -> bool:
    _, iterations, salt_hex, dk_hex = stored.split("$")
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(dk.hex(), dk_hex)


@app.post("/account/password")
def change_password():
    user = request.form["user"]
    stored = PASSWORDS.get(user)
    if stored is None or not check_hash(request.form["current_password"], stored):
        return {"error": "wrong password"}, 403
    PASSWORDS[user] = make_hash(request.form["new_password"])
    return {"updated": True}
