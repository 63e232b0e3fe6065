#!/usr/bin/env bash
# Builds the seed corpus of each fuzz target under fuzz/corpus/ (ignored by
# git: libFuzzer grows it) from the repository's own files and a few texts.
#   bash fuzz/seed.sh && cd fuzz && cargo +nightly fuzz run parse_revision
set -euo pipefail
cd "$(dirname "$0")"
repo=..
rev=corpus/parse_revision
cfg=corpus/parse_config
url=corpus/parse_url
mkdir -p "$rev" "$cfg" "$url"

# Revision files: every example history and fixture, plus CRLF and BOM copies.
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$rev/repo_$n.sql"
  sed 's/$/\r/' "$f" > "$rev/crlf_$n.sql"
done < <(find "$repo/migrations_core" "$repo/migrations_ai" "$repo/tests/fixtures" -name '*.sql' -print0 | sort -z)
printf '\xef\xbb\xbf-- migrate:revision bom1\n-- migrate:up\nSELECT 1;\n' > "$rev/bom.sql"
cat > "$rev/every_directive.sql" <<'SQL'
-- migrate:revision 9b0768a49ad8
-- migrate:parents ce3dd9222427, 1a2b3c4d5e6f
-- migrate:message merge two branches
-- migrate:created 2025-11-01T09:30:00+02:00
-- migrate:labels billing core.v2
-- migrate:depends-on 0a1b2c3d4e5f
-- migrate:transaction off

-- migrate:up
CREATE INDEX CONCURRENTLY ix ON t (a);
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; -- ; $$ LANGUAGE sql;

-- migrate:down
DROP INDEX ix;
SQL
printf -- '-- migrate:revision no_down\n-- migrate:up\nSELECT 1 -- no final semicolon' > "$rev/no_down.sql"

# Configs: the repository's, and every key docs/reference.md, "Configuration" allows.
cp "$repo/migrate.toml" "$cfg/repo.toml"
cat > "$cfg/full.toml" <<'TOML'
[settings]
lock_timeout = "60s"
wait = "2m 30s"
ddl_lock_timeout = "5s"
statement_timeout = "1m"

[databases.core]
url_env = "DATABASE_URL"
default_url = "postgresql+asyncpg://app:s3cret@localhost:5432/app?ssl=require"
migrations = "migrations_core"
version_table = "_migrate_core"
schema = "public"

[databases.ai]
url_env = "AI_DATABASE_URL"
fallback_env = ["DATABASE_URL"]
default_url = "sqlite+aiosqlite:///.migrate/ai.db"
migrations = "migrations_ai"
after = ["core"]

[databases.e2e]
url_env = "E2E_URL"
default_url = "sqlite::memory:"
migrations = "migrations_core"
after = ["core", "ai"]
TOML
printf '[databases.a]\nurl_env="A"\nmigrations="m"\nafter=["b"]\n[databases.b]\nurl_env="B"\nmigrations="m"\nafter=["a"]\n' > "$cfg/cycle.toml"

# URLs, one per file, in every accepted spelling.
i=0
while IFS= read -r line; do
  i=$((i + 1))
  printf '%s' "$line" > "$url/url_$i"
done <<'URLS'
postgres://app:s3cret@db.internal:5432/app?sslmode=require
postgresql://app@localhost/app
postgresql+asyncpg://app:p%40ss@localhost/app?ssl=require
postgresql+psycopg2://app:pa/ss?w#rd@[::1]:6432/app
postgres://app@/app?host=/var/run/postgresql&password=s3cret
mysql://root:s3cret@127.0.0.1:3306/shop
mysql+pymysql://root:s3cret@db/shop?charset=utf8mb4
mariadb://u:p@h/db
sqlite://.migrate/core.db
sqlite:///abs/app.db
sqlite+aiosqlite:///app.db
sqlite+aiosqlite:////abs/app.db
sqlite::memory:
postgres://u:p@h:99999/db
URLS

echo "seeded: $(ls "$rev" | wc -l) revision files, $(ls "$cfg" | wc -l) configs, $(ls "$url" | wc -l) URLs"
