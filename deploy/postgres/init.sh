#!/bin/sh
# One database per service: services never read each other's data. Keycloak has its own
# role and database beside them.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE alac LOGIN PASSWORD '${ALAC_DB_PASSWORD}';
CREATE DATABASE alac_intake OWNER alac;
CREATE DATABASE alac_cases OWNER alac;
CREATE DATABASE alac_analytics OWNER alac;
CREATE DATABASE alac_search OWNER alac;
CREATE ROLE keycloak LOGIN PASSWORD '${KEYCLOAK_DB_PASSWORD}';
CREATE DATABASE keycloak OWNER keycloak;
SQL
