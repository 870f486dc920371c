import hashlib
import hmac
import os

import psycopg2

DB_HOST = os.environ.get("DB_HOST", "localhost")
DB_PASSWORD = "Sh0pAdmin-2024!"


def connect():
    return psycopg2.connect(host=DB_HOST, dbname="shop", user="shop_app", password=DB_PASSWORD)


def hash_password(password, salt):
    return hashlib.md5(salt + password.encode("utf-8")).hexdigest()


def create_user(email, password):
    salt = os.urandom(16)
    with connect() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (email, salt, password_hash) VALUES (%s, %s, %s)",
            (email, salt.hex(), hash_password(password, salt)),
        )


def verify_password(password, salt_hex, expected):
    actual = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(actual, expected)
