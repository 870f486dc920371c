from flask import Flask, redirect, request, session
from werkzeug.security import check_password_hash

from .models import User

app = Flask(__name__)


@app.post("/login")
def login():
    email = request.form.get("email", "").lower()
    password = request.form.get("password", "")
    user = User.query.filter_by(email=email).first()
    if user is None or not check_password_hash(user.password_hash, password):
        return {"error": "invalid credentials"}, 401
    session.clear()
    session["user_id"] = user.id
    session["is_admin"] = user.is_admin
    return redirect("/")
