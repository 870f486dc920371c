#!/bin/sh
# A self-signed certificate for https://localhost, for the compose stack only (browsers will warn).
# Writes deploy/nginx/certs/tls.crt and tls.key, the defaults of TLS_CERT_FILE and TLS_KEY_FILE.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/certs"
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 30 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/tls.key" -out "$dir/tls.crt"
chmod 0600 "$dir/tls.key" # nginx's master process (root in the container) reads it at start
echo "wrote $dir/tls.crt and $dir/tls.key"
