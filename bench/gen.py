#!/usr/bin/env python3
"""Writes the benchmark histories: one revision graph, written out for every tool.

For a history of N revisions this writes, under OUT:
  migrate/<db>/<id>_<slug>.sql        migrate format (docs/reference.md, "Revision files")
  alembic/<db>/versions/<id>_<slug>.py Alembic revision files (op.execute per statement)
  alembic/<db>/alembic.ini, env.py     a minimal Alembic environment, URL from $BENCH_URL
  sqlx/<db>/<version>_<slug>.sql       sqlx-cli simple migrations (linear histories only)
  floor/<db>.sql                       the apply floor: each revision in BEGIN/COMMIT with
                                       its version-row INSERT, for `psql -f`
Every tool gets the same SQL statements. Revision i creates table t_<i> and an index on it.

Two shapes:
  linear  a single chain (noop, apply, wide, scaling)
  graph   a trunk with B fork/merge diamonds (graph-10k, check scaling); B defaults to N/50

Only the standard library: it runs before the venv exists.
"""

import argparse
import datetime
import hashlib
import os
import shutil

BASE_TIME = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


def rev_id(seed, i):
    """A 12-hex id like Alembic's, stable for a given history and index."""
    return hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()[:12]


def statements(i):
    t = f"t_{i:05d}"
    return [
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, name text NOT NULL, "
        f"created_at timestamptz NOT NULL DEFAULT now())",
        f"CREATE INDEX ix_{i:05d}_name ON {t} (name)",
    ]


def down_statements(i):
    return [f"DROP TABLE t_{i:05d}"]


def linear_graph(n, seed):
    """[(id, [parent ids], index)] in creation order."""
    revs = []
    prev = None
    for i in range(1, n + 1):
        rid = rev_id(seed, i)
        revs.append((rid, [prev] if prev else [], i))
        prev = rid
    return revs


def diamond_graph(n, seed, branches=None):
    """A trunk with `branches` fork/merge diamonds, ending in one head.

    Each diamond: the current tip forks into two branches of L revisions each,
    joined by a merge revision; a few trunk revisions follow. Exactly n revisions.
    """
    if branches is None:
        branches = max(1, n // 50)
    revs = []
    counter = [0]

    def add(parents):
        counter[0] += 1
        i = counter[0]
        rid = rev_id(seed, i)
        revs.append((rid, parents, i))
        return rid

    tip = add([])
    per = (n - 1) // branches  # revisions per diamond including its trailing trunk
    if per < 3:
        raise SystemExit(f"gen: {n} revisions are too few for {branches} branches")
    length = (per - 1) // 2
    trailing = per - 1 - 2 * length
    for _ in range(branches):
        a = b = tip
        # Interleave the two branches so their `created` times alternate.
        for _ in range(length):
            a = add([a])
            b = add([b])
        tip = add([a, b])
        for _ in range(trailing):
            tip = add([tip])
    while counter[0] < n:
        tip = add([tip])
    assert len(revs) == n
    return revs


def created(i):
    return (BASE_TIME + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_migrate(folder, revs):
    os.makedirs(folder, exist_ok=True)
    for rid, parents, i in revs:
        up = ";\n".join(statements(i)) + ";\n"
        down = ";\n".join(down_statements(i)) + ";\n"
        lines = [f"-- migrate:revision {rid}"]
        if parents:
            lines.append(f"-- migrate:parents {' '.join(parents)}")
        lines.append(f"-- migrate:message create table t_{i:05d}")
        lines.append(f"-- migrate:created {created(i)}")
        text = "\n".join(lines) + "\n\n-- migrate:up\n" + up + "\n-- migrate:down\n" + down
        with open(os.path.join(folder, f"{rid}_create_t_{i:05d}.sql"), "w") as f:
            f.write(text)


ALEMBIC_INI = """[alembic]
script_location = {here}
path_separator = os
version_locations = {here}/versions

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

# The online part of the env.py that `alembic init` writes, with the URL from the
# environment (psycopg 3 driver). One transaction per run, as the template does.
ALEMBIC_ENV = '''import os

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def run_migrations_online():
    connectable = create_engine(os.environ["BENCH_URL"], poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline mode is not used by the benchmark")
run_migrations_online()
'''


def py_str(s):
    return '"""' + s.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def write_alembic(folder, revs):
    versions = os.path.join(folder, "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(folder, "alembic.ini"), "w") as f:
        f.write(ALEMBIC_INI.format(here=os.path.abspath(folder)))
    with open(os.path.join(folder, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)
    for rid, parents, i in revs:
        if not parents:
            down = "None"
        elif len(parents) == 1:
            down = repr(parents[0])
        else:
            down = repr(tuple(parents))
        ups = "\n".join(f"    op.execute({py_str(s)})" for s in statements(i))
        downs = "\n".join(f"    op.execute({py_str(s)})" for s in down_statements(i))
        text = (
            f'"""create table t_{i:05d}\n\nRevision ID: {rid}\nRevises: {down}\n'
            f'Create Date: {created(i)}\n"""\n'
            "from alembic import op\n\n"
            f"revision = {rid!r}\n"
            f"down_revision = {down}\n"
            "branch_labels = None\n"
            "depends_on = None\n\n\n"
            f"def upgrade():\n{ups}\n\n\n"
            f"def downgrade():\n{downs}\n"
        )
        with open(os.path.join(versions, f"{rid}_create_t_{i:05d}.py"), "w") as f:
            f.write(text)


def write_sqlx(folder, revs):
    os.makedirs(folder, exist_ok=True)
    for rid, parents, i in revs:
        if len(parents) > 1:
            raise SystemExit("gen: sqlx-cli histories must be linear")
        up = ";\n".join(statements(i)) + ";\n"
        with open(os.path.join(folder, f"{i:06d}_create_t_{i:05d}.sql"), "w") as f:
            f.write(up)


def write_floor(path, revs):
    """What the fewest-round-trips-per-statement client would send."""
    out = [
        "CREATE TABLE _floor_version (revision text PRIMARY KEY, parents text NOT NULL, "
        "message text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL, "
        "duration_ms bigint NOT NULL, applied_by text NOT NULL, method text NOT NULL);"
    ]
    for rid, parents, i in revs:
        up = ";\n".join(statements(i)) + ";\n"
        checksum = hashlib.sha256(up.encode()).hexdigest()
        out.append("BEGIN;")
        out.extend(s + ";" for s in statements(i))
        out.append(
            f"INSERT INTO _floor_version VALUES ('{rid}', '{' '.join(parents)}', "
            f"'create table t_{i:05d}', '{checksum}', now(), 0, 'floor', 'up');"
        )
        out.append("COMMIT;")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def generate(out, dbs, n, shape="linear", tools=("migrate", "alembic", "sqlx", "floor")):
    """Write one history per database name in `dbs` (each its own ids) under `out`."""
    if os.path.exists(out):
        shutil.rmtree(out)
    for db in dbs:
        seed = f"{os.path.basename(out)}:{db}"
        revs = linear_graph(n, seed) if shape == "linear" else diamond_graph(n, seed)
        if "migrate" in tools:
            write_migrate(os.path.join(out, "migrate", db), revs)
        if "alembic" in tools:
            write_alembic(os.path.join(out, "alembic", db), revs)
        if "sqlx" in tools and shape == "linear":
            write_sqlx(os.path.join(out, "sqlx", db), revs)
        if "floor" in tools:
            write_floor(os.path.join(out, "floor", f"{db}.sql"), revs)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--shape", choices=["linear", "graph"], default="linear")
    p.add_argument("--db", action="append", default=None, help="database name (repeatable)")
    a = p.parse_args()
    generate(a.out, a.db or ["core"], a.n, a.shape)


if __name__ == "__main__":
    main()
