#!/usr/bin/env bash
# First start of the Compose PostgreSQL: one role and one database per owning service (auth, customers).
# Runs from /docker-entrypoint-initdb.d only when the data volume is empty.
set -euo pipefail

create_owned_database() {
    local name="$1" password="$2"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=name="$name" --set=password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

create_owned_database auth "${AUTH_DB_PASSWORD:?AUTH_DB_PASSWORD is required}"
create_owned_database customers "${CUSTOMERS_DB_PASSWORD:?CUSTOMERS_DB_PASSWORD is required}"
