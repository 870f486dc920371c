import os

from flask import Flask, redirect, request, session, url_for

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


@app.route("/logout")
def logout():
    session.clear()
    destination = request.args.get("return_to") or url_for("index")
    return redirect(destination)


@app.route("/")
def index():
    return "home"
