#!/usr/bin/env bash
# Installs what pgward's tests, demo and benchmarks need from Debian packages, when it is missing:
# PostgreSQL server + client (initdb, pg_ctl, pg_dump, pg_restore, pgbench, psql), and the peer tools
# the tests and benchmarks run (promtool from `prometheus`, pgcopydb, and the migration frameworks
# ruby-rails, ruby-pg, python3-alembic, python3-django, python3-psycopg2 that .ci/run names).
# Usage: sudo bash scripts/install-prereqs.sh        (safe to run again: installs only what is missing)
set -euo pipefail

missing=()
have_pg_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_pg_server || missing+=(postgresql postgresql-contrib)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
for extra in ${PGWARD_EXTRA_PACKAGES:-}; do
  dpkg -s "$extra" >/dev/null 2>&1 || missing+=("$extra")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "prerequisites: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "prerequisites: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "prerequisites: done"
