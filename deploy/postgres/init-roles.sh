#!/bin/sh
# First start of the PostgreSQL volume: one role and database for the app, one role for Temporal
# (temporal-schema creates its two databases). Passwords come from the env file.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v lma_password="$LMA_DB_PASSWORD" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
create role lma login password :'lma_password';
create database lma owner lma;
create role temporal login createdb password :'temporal_password';
SQL
