"""Encoding helpers for the preferences blob."""

import base64
import zlib


def unpack_blob(text):
    return zlib.decompress(base64.urlsafe_b64decode(text))
