#!/bin/sh
# Creates (or upgrades) Temporal's two PostgreSQL databases: the same steps as the
# official docker-compose files (scripts/setup-postgres.sh), made safe to re-run on
# every `docker compose up`: `create` ignores an existing database, `setup-schema
# -v 0.0` only adds the versioning tables, and `update-schema` applies what is missing.
#
# Runs in temporalio/admin-tools. Reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER,
# SQL_DATABASE and SQL_VISIBILITY_DATABASE; SQL_PASSWORD stays in the environment, where
# temporal-sql-tool reads it (so it never shows in a process list).
set -eu

: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:?SQL_HOST is required}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:?SQL_USER is required}"
: "${SQL_DATABASE:=temporal}"
: "${SQL_VISIBILITY_DATABASE:=temporal_visibility}"

: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}" # where temporalio/admin-tools keeps them

echo "[jobline-schema] waiting for PostgreSQL at ${SQL_HOST}:${SQL_PORT}"
attempt=0
until nc -z "$SQL_HOST" "$SQL_PORT"; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "[jobline-schema] PostgreSQL did not open its port" >&2
    exit 1
  fi
  sleep 1
done

sql_tool() {
  temporal-sql-tool --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" "$@"
}

setup() {
  database=$1
  schema=$2
  echo "[jobline-schema] ${database}: ${schema} schema"
  sql_tool --db "$database" create
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "${SCHEMA_DIR}/${schema}/versioned"
}

setup "$SQL_DATABASE" temporal
setup "$SQL_VISIBILITY_DATABASE" visibility
echo "[jobline-schema] done"
