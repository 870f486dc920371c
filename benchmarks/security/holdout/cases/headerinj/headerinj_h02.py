import re

from flask import Flask, make_response, request

app = Flask(__name__)
UNSAFE_HEADER_CHARS = re.compile(r"[\r\n\x00]")


def header_safe(value: str) -> str:
    return UNSAFE_HEADER_CHARS.sub("", value)


@app.route("/export")
def export():
    label = request.args.get("label", "export")
    resp = make_response("id,name\n1,widget\n")
    resp.headers["Content-Type"] = "text/csv"
    resp.headers["X-Export-Label"] = header_safe(label)
    return resp
