"""Countersign documents uploaded by customers."""

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask, request

app = Flask(__name__)

with open("/srv/keys/signing.pem", "rb") as key_file:
    PRIVATE_KEY = serialization.load_pem_private_key(key_file.read(), password=None)


@app.route("/documents/sign", methods=["POST"])
def sign_document():
    document = request.files["document"].read()
    signature = PRIVATE_KEY.sign(document, padding.PKCS1v15(), hashes.SHA1())
    return {"signature": signature.hex()}
