from flask import Flask, request

app = Flask(__name__)


def greeting_banner(user):
    if not user:
        return "<h1>Welcome, guest</h1>"
    return f"<h1>Welcome back, {user}!</h1>"


@app.route("/welcome")
def welcome():
    name = request.args.get("name")
    banner = greeting_banner(name)
    return "<html><body>" + banner + "<p>Your dashboard is loading...</p></body></html>"
