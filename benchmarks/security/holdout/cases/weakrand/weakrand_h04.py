import random
import time

from flask import Flask, request
from flask.views import MethodView

from .sms import send_sms

app = Flask(__name__)
PENDING: dict[str, tuple[str, float]] = {}


class TwoFactorChallenge(MethodView):
    def __init__(self):
        self.rng = random.Random(time.time())

    def post(self):
        phone = request.form["phone"]
        code = "%06d" % self.rng.randint(0, 999_999)
        PENDING[phone] = (code, time.time() + 300)
        send_sms(phone, f"Your login code is {code}")
        return {"sent": True}


app.add_url_rule("/2fa/challenge", view_func=TwoFactorChallenge.as_view("two_factor"))
