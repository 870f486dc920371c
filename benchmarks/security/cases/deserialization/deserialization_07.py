"""Server-side session store that keeps the session in a client token."""

import base64
import pickle

from flask import Flask, request

app = Flask(__name__)


class TokenSessionStore:
    def load(self, token):
        return pickle.loads(base64.b64decode(token))

    def dump(self, data):
        return base64.b64encode(pickle.dumps(data)).decode()


@app.route("/me")
def me():
    store = TokenSessionStore()
    data = store.load(request.args.get("token", store.dump({})))
    return {"user": data.get("user")}
