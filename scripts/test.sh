#!/usr/bin/env bash
# The project's test command (README "Run the tests"; CI runs exactly this).
# Formatting and lints first (cheap), then every test against real servers
# that scripts/with-services.sh starts unless their variables are set (a
# PostgreSQL primary, a hot standby of it, PgBouncer in front of it, and
# MariaDB), and real SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."

# A CI build is built once and thrown away: incremental data would only
# double the disk it needs.
if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0
fi

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# Real Alembic for the `import alembic` tests: MIGRATE_TEST_PYTHON and
# MIGRATE_TEST_PYTHON_OLD name the interpreters of cached virtual environments.
if [ -z "${MIGRATE_TEST_PYTHON:-}" ] || [ -z "${MIGRATE_TEST_PYTHON_OLD:-}" ]; then
    eval "$(bash scripts/python-venvs.sh)"
fi
exec bash scripts/with-services.sh cargo test --locked
