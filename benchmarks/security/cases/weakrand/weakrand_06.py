"""CSRF-style form nonce generator."""

import random
import time

from flask import Flask, session

app = Flask(__name__)


class NonceGenerator:
    def __init__(self):
        self.rng = random.Random(time.time())

    def nonce(self):
        return "%08x" % self.rng.randrange(2**32)


@app.route("/forms/transfer")
def transfer_form():
    session["form_nonce"] = NonceGenerator().nonce()
    return {"nonce": session["form_nonce"]}
