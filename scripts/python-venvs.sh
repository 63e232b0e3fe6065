#!/usr/bin/env bash
# Virtual environments with real Alembic and SQLAlchemy for the `import
# alembic` tests, created once and cached:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/migrate-tests/alembic-<version>-<hash>/
#
#   eval "$(bash scripts/python-venvs.sh)"
#
# prints (on stdout, for `eval`) the interpreter of each environment:
#   MIGRATE_TEST_PYTHON      the newest Alembic 1.x (the same pins as bench/requirements.txt)
#   MIGRATE_TEST_PYTHON_OLD  an Alembic about two years older, with the SQLAlchemy of its time
# Idempotent: an environment whose install finished (marker file `.complete`)
# is reused as is; a half-made one is made again. Changing a pin below makes
# a new folder (the hash covers the pins). Progress goes to stderr.
# Needs python3 with the venv module and access to PyPI the first time.
set -euo pipefail

NEW_PINS="alembic==1.20.1 SQLAlchemy==2.1.9 psycopg[binary]==3.3.9"
OLD_PINS="alembic==1.14.0 SQLAlchemy==2.0.36 psycopg[binary]==3.2.3"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/migrate-tests"
say() { echo "python-venvs: $*" >&2; }

# make_venv PINS: prints the interpreter path of the environment for PINS.
make_venv() {
    local pins="$1" alembic hash dir
    alembic="${pins%% *}"
    alembic="${alembic#alembic==}"
    hash="$(printf '%s' "$pins" | sha256sum | cut -c1-10)"
    dir="$cache/alembic-$alembic-$hash"
    if [[ ! -f "$dir/.complete" ]]; then
        say "creating $dir ($pins)"
        rm -rf "$dir"
        mkdir -p "$cache"
        python3 -m venv "$dir" >&2
        # shellcheck disable=SC2086 # the pins are separate words
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check $pins >&2
        "$dir/bin/python" -c 'import alembic, sqlalchemy, psycopg' >&2
        touch "$dir/.complete"
    fi
    echo "$dir/bin/python"
}

new="$(make_venv "$NEW_PINS")"
old="$(make_venv "$OLD_PINS")"
echo "export MIGRATE_TEST_PYTHON='$new'"
echo "export MIGRATE_TEST_PYTHON_OLD='$old'"
