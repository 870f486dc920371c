#!/bin/sh
# Creates the databases named in POSTGRES_EXTRA_DATABASES (comma-separated; docker-compose.yml: MLflow's),
# owned by POSTGRES_USER, beside POSTGRES_DB. The postgres image runs this once, on an empty data volume.
set -eu
for database in $(printf '%s' "${POSTGRES_EXTRA_DATABASES:-}" | tr ',' ' '); do
  echo "creating database $database"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=database="$database" --set=owner="$POSTGRES_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')\gexec
SQL
done
