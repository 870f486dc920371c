"""Webshop backend: a small Flask app with real problems next to their safe look-alikes."""

import hashlib
import os
import pickle
import sqlite3
import subprocess

import requests
import yaml
from flask import Flask, request

app = Flask(__name__)
DB_PATH = os.environ.get("WEBSHOP_DB", "shop.db")

# Problem: a credential committed to the repository.
PAYMENT_API_KEY = "sk_live_51HxAmPle9aZ0reviewlab"
# Safe: read from the environment.
MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")


def db():
    return sqlite3.connect(DB_PATH)


@app.route("/products")
def search_products():
    term = request.args.get("q", "")
    cursor = db().cursor()
    # Problem: SQL built from user input.
    cursor.execute(f"SELECT id, name FROM products WHERE name LIKE '%{term}%'")
    rows = cursor.fetchall()
    # Safe: a parameterised query.
    cursor.execute("SELECT id, name FROM products WHERE name LIKE ?", (f"%{term}%",))
    return {"products": rows + cursor.fetchall()}


@app.route("/export")
def export_orders():
    name = request.args.get("name", "orders")
    # Problem: a shell command with user input.
    subprocess.run(f"tar czf /tmp/{name}.tgz /var/shop/orders", shell=True, check=True)
    # Safe: an argument list, no shell.
    subprocess.run(["tar", "czf", f"/tmp/{name}.tgz", "/var/shop/orders"], check=True)
    return {"ok": True}


@app.route("/cart", methods=["POST"])
def restore_cart():
    # Problem: unpickling data from the client runs arbitrary code.
    cart = pickle.loads(request.get_data())
    return {"items": len(cart)}


def load_settings(path):
    with open(path) as handle:
        # Problem: yaml.load without a safe loader.
        settings = yaml.load(handle)
    with open(path) as handle:
        # Safe: the safe loader.
        settings.update(yaml.safe_load(handle))
    return settings


def password_digest(password):
    # Problem: MD5 for passwords.
    return hashlib.md5(password.encode()).hexdigest()


def etag(body):
    # Safe: a non-security checksum, declared as such.
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def fetch_rates():
    # Problem: TLS verification turned off.
    return requests.get("https://rates.example.com/today", verify=False, timeout=5).json()


def add_tags(product, tags=[]):  # Problem: a mutable default argument.
    tags.append(product)
    return tags


def parse_quantity(raw):
    try:
        return int(raw)
    except:  # Problem: a bare except swallows everything, even KeyboardInterrupt.
        return 0


if __name__ == "__main__":
    # Problem: the debugger lets anyone who reaches the port run code.
    app.run(host="127.0.0.1", debug=True)
