from defusedxml import ElementTree as SafeET
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/import/contacts")
def import_contacts():
    document = SafeET.fromstring(request.get_data())
    contacts = []
    for node in document.iter("contact"):
        contacts.append({"name": node.findtext("name", ""), "phone": node.findtext("phone", "")})
    return jsonify(imported=len(contacts), contacts=contacts)
