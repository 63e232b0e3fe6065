"""The `drift` case of bench/bench.py (issue 16): `migrate verify DB --schema`
on a database built from N revisions, against `migrate up` building such a
database from nothing, which is the replay `verify --schema` does in its
scratch database. Target: verify --schema within 3x that up.

Revision i creates table t_i with a primary key, a unique constraint, a check
constraint, a foreign key to t_(i-1) and a default, plus an index: the objects
the drift report reads and compares.
"""

import os


def statements(i):
    t = f"t_{i:05d}"
    parent = f", parent_id bigint REFERENCES t_{i - 1:05d} (id)" if i > 0 else ""
    return (
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, "
        f"amount numeric NOT NULL DEFAULT 0 CHECK (amount >= 0), "
        f"created_at timestamptz NOT NULL DEFAULT now(){parent});\n"
        f"CREATE INDEX ix_{i:05d}_created ON {t} (created_at);\n"
    )


def write_history(folder, n):
    os.makedirs(folder, exist_ok=True)
    parent = None
    for i in range(n):
        rev = f"d{i:05d}"
        head = f"-- migrate:revision {rev}\n"
        if parent:
            head += f"-- migrate:parents {parent}\n"
        head += f"-- migrate:message table {i}\n\n-- migrate:up\n"
        with open(os.path.join(folder, f"{rev}.sql"), "w") as f:
            f.write(head + statements(i))
        parent = rev


def case_drift(T, n, reps, b):
    """`b` is the bench module (Entry, measure, run_seq, Cmd, LOGS, WORK)."""
    name = f"drift-{n}"
    hist = os.path.join(b.WORK, "hist", name)
    write_history(os.path.join(hist, "migrate", "core"), n)
    cfg = T.migrate_config(hist, {"core": "BENCH_CORE_URL"})
    pg = T.pg
    built = f"bench_drift{n}_built"

    def db(rep):
        return f"bench_drift{n}_up_{rep}"

    def build_once():
        pg.fresh(built)
        b.run_seq([T.m(cfg, "up", "core", env={"BENCH_CORE_URL": pg.url(built)})], os.path.join(b.LOGS, f"{name}.setup.log"))

    def no_scratch_left(rep):
        left = pg.conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'migrate\\_scratch\\_%'").fetchone()[0]
        if left:
            raise b.Failed(f"{left} scratch databases left behind")

    entries = [
        b.Entry(
            "migrate up (fresh database)",
            lambda rep: [T.m(cfg, "up", "core", env={"BENCH_CORE_URL": pg.url(db(rep))})],
            before=lambda rep: pg.fresh(db(rep)),
            after=lambda rep: pg.drop(db(rep)),
            skip=T.migrate_missing,
        ),
        b.Entry(
            "migrate verify --schema",
            lambda rep: [T.m(cfg, "verify", "core", "--schema", env={"BENCH_CORE_URL": pg.url(built)})],
            warm=build_once,
            check=no_scratch_left,
            skip=T.migrate_missing,
        ),
    ]
    b.measure(name, entries, reps, rss_inline=True)
    pg.drop(built)
    return entries


def targets(results, b):
    """The report's target row for this case, when it ran."""
    entries = results.get("drift-200")
    if not entries:
        return []
    r = b.ratio(b.med(entries, "migrate verify"), b.med(entries, "migrate up"))
    return [("drift-200: `verify --schema` / `up` of the same 200 revisions", "≤ 3×", b.fmt_ratio(r), b.verdict(None if r is None else r <= 3))]
