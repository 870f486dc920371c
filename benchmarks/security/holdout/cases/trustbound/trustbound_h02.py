import os

from flask import Flask, request, session

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]


@app.route("/preview")
def preview_as():
    if "user_id" not in session:
        return {"error": "login required"}, 401
    requested_role = request.args.get("role", "viewer")
    session["role"] = requested_role
    return {"previewing_as": requested_role}


@app.route("/admin/users")
def admin_users():
    if session.get("role") != "admin":
        return {"error": "forbidden"}, 403
    return {"users": ["alice", "bob"]}
