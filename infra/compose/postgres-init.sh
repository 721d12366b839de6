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

# NAME, else the file NAME_FILE names (a Compose secret, as docker-compose.yml passes them).
variable_or_file() {
    local name="$1" file_variable="${1}_FILE"
    if [ -n "${!name:-}" ]; then
        printf '%s' "${!name}"
    elif [ -n "${!file_variable:-}" ]; then
        cat "${!file_variable}"
    else
        echo "$name or $file_variable is required" >&2
        return 1
    fi
}

auth_password=$(variable_or_file AUTH_DB_PASSWORD)
customers_password=$(variable_or_file CUSTOMERS_DB_PASSWORD)
create_owned_database auth "$auth_password"
create_owned_database customers "$customers_password"
