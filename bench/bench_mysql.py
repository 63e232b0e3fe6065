"""The MySQL case of the benchmark (`bench/run --cases mysql`): MariaDB from
scripts/lib/mariadb.sh (through scripts/with-services.sh), migrate against the
`mysql` client floor.

  mysql-apply-1000  a fresh database per run, 1,000 revisions (CREATE TABLE + CREATE INDEX,
                    MySQL types): `migrate up core` against the client running the same
                    statements from one file over one connection, with a version-row INSERT
                    per revision (MySQL commits each DDL statement by itself: no BEGIN/COMMIT)
  mysql-noop-1000   1,000 revisions, all applied: `migrate up core` against the client
                    connecting and reading the version table

Needs MIGRATE_TEST_MYSQL_URL (mysql://USER:PASSWORD@127.0.0.1:PORT/) and the `mariadb` or
`mysql` client; databases bench_my_* are made and dropped on that server. No Python MySQL
driver: setup and checks go through the client too. bench.py hands in its own helpers
(`B`: Cmd, Entry, Failed, measure, run_seq, LOGS, WORK, fmt_ratio, verdict, ratio, med,
case_table) so that the cases are measured and reported exactly like the others.
"""

import hashlib
import json
import os
import shutil
import urllib.parse


def client():
    return shutil.which("mariadb") or shutil.which("mysql") or "mariadb"


class My:
    """The server of MIGRATE_TEST_MYSQL_URL, reached with the command-line client."""

    def __init__(self, B, admin_url):
        self.B = B
        u = urllib.parse.urlsplit(admin_url)
        self.user = urllib.parse.unquote(u.username or "root")
        self.password = urllib.parse.unquote(u.password or "")
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 3306
        self.netloc = u.netloc
        self.exe = client()

    def url(self, db):
        return f"mysql://{self.netloc}/{db}"

    def argv(self, db=None):
        argv = [self.exe, "--no-defaults", f"--host={self.host}", f"--port={self.port}", f"--user={self.user}", "--batch", "--skip-column-names"]
        if self.password:
            argv.append(f"--password={self.password}")
        if db:
            argv.append(f"--database={db}")
        return argv

    def cmd(self, db, *args, quiet=False):
        return self.B.Cmd([*self.argv(db), *args], quiet=quiet)

    def run(self, sql, db=None):
        import subprocess

        out = subprocess.run([*self.argv(db), "-e", sql], capture_output=True, text=True)
        if out.returncode != 0:
            raise self.B.Failed(f"{self.exe}: {out.stderr.strip()}")
        return out.stdout

    def fresh(self, db):
        self.run(f"DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`")

    def drop(self, db):
        self.run(f"DROP DATABASE IF EXISTS `{db}`")

    def count_tables(self, db):
        return int(self.run(f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{db}' AND table_name LIKE 't\\_%'").strip())

    def version(self):
        try:
            return self.run("SELECT VERSION()").strip()
        except self.B.Failed:
            return "n/a"


def statements(i):
    t = f"t_{i:05d}"
    return [
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, name varchar(100) NOT NULL, "
        f"created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))",
        f"CREATE INDEX ix_{i:05d}_name ON {t} (name)",
    ]


def rev_id(i):
    return hashlib.sha1(f"mysql:{i}".encode()).hexdigest()[:12]


# The version table as migrate makes it on MySQL (docs/reference.md, "The version table").
VERSION_TABLE = (
    "CREATE TABLE _floor_version (revision varchar(255) NOT NULL PRIMARY KEY, parents text NOT NULL, "
    "message text NOT NULL, checksum text NOT NULL, applied_at datetime(6) NOT NULL, "
    "duration_ms bigint NOT NULL, applied_by text NOT NULL, method text NOT NULL, dirty boolean NOT NULL)"
)


def write_history(out, n):
    stamp = os.path.join(out, "params.json")
    params = json.dumps({"n": n, "gen": "mysql-1"})
    try:
        with open(stamp) as f:
            if f.read() == params:
                return
    except OSError:
        pass
    shutil.rmtree(out, ignore_errors=True)
    folder = os.path.join(out, "migrate", "core")
    os.makedirs(folder)
    floor = [VERSION_TABLE + ";"]
    prev = None
    for i in range(1, n + 1):
        rid = rev_id(i)
        up = ";\n".join(statements(i)) + ";\n"
        head = [f"-- migrate:revision {rid}"]
        if prev:
            head.append(f"-- migrate:parents {prev}")
        head.append(f"-- migrate:message create table t_{i:05d}")
        with open(os.path.join(folder, f"{rid}_create_t_{i:05d}.sql"), "w") as f:
            f.write("\n".join(head) + "\n\n-- migrate:up\n" + up + f"\n-- migrate:down\nDROP TABLE t_{i:05d};\n")
        checksum = hashlib.sha256(up.encode()).hexdigest()
        floor.extend(s + ";" for s in statements(i))
        floor.append(
            f"INSERT INTO _floor_version VALUES ('{rid}', '{prev or ''}', 'create table t_{i:05d}', "
            f"'{checksum}', UTC_TIMESTAMP(6), 0, 'floor', 'up', false);"
        )
        prev = rid
    with open(os.path.join(out, "floor.sql"), "w") as f:
        f.write("\n".join(floor) + "\n")
    with open(os.path.join(out, "migrate.toml"), "w") as f:
        f.write('[databases.core]\nurl_env = "BENCH_CORE_URL"\nmigrations = "migrate/core"\n')
    with open(stamp, "w") as f:
        f.write(params)


def case_apply(B, T, my, n, reps):
    name = f"mysql-apply-{n}"
    hist = os.path.join(B.WORK, "hist", name)
    write_history(hist, n)
    cfg = os.path.join(hist, "migrate.toml")
    floor_sql = os.path.join(hist, "floor.sql")

    def db(tool, rep):
        return f"bench_my_apply_{tool}_{rep}"

    def check(tool):
        def f(rep):
            got = my.count_tables(db(tool, rep))
            if got != n:
                raise B.Failed(f"{tool} left {got} tables, expected {n}")

        return f

    entries = [
        B.Entry(
            "migrate up",
            lambda rep: [T.m(cfg, "up", "core", env={"BENCH_CORE_URL": my.url(db("migrate", rep))})],
            before=lambda rep: my.fresh(db("migrate", rep)),
            after=lambda rep: my.drop(db("migrate", rep)),
            check=check("migrate"),
            skip=T.migrate_missing,
        ),
        B.Entry(
            "floor: mysql client, one file, a version row per revision",
            lambda rep: [my.cmd(db("floor", rep), f"--execute=source {floor_sql}")],
            before=lambda rep: my.fresh(db("floor", rep)),
            after=lambda rep: my.drop(db("floor", rep)),
            check=check("floor"),
        ),
    ]
    return B.measure(name, entries, reps, rss_inline=True)


def case_noop(B, T, my, n, reps):
    name = f"mysql-noop-{n}"
    hist = os.path.join(B.WORK, "hist", f"mysql-apply-{n}")
    write_history(hist, n)
    cfg = os.path.join(hist, "migrate.toml")
    target = "bench_my_noop"
    env = {"BENCH_CORE_URL": my.url(target)}
    logfile = os.path.join(B.LOGS, f"{name}.setup.log")

    def setup():
        my.fresh(target)
        B.run_seq([T.m(cfg, "up", "core", env=env)], logfile)

    entries = [
        B.Entry("migrate up", lambda rep: [T.m(cfg, "up", "core", env=env)], warm=setup, skip=T.migrate_missing),
        B.Entry(
            "floor: mysql client reads the version table",
            lambda rep: [my.cmd(target, "--execute=SELECT revision, parents, checksum, method, dirty FROM _migrate_core", quiet=True)],
        ),
    ]
    B.measure(name, entries, reps)
    my.drop(target)
    return entries


def run(B, T, reps, reps_slow, part, meta):
    """Adds the MySQL cases to `results` through bench.py's `part`."""
    url = os.environ.get("MIGRATE_TEST_MYSQL_URL")
    if not url:
        raise SystemExit("the mysql case needs MIGRATE_TEST_MYSQL_URL: run it through bench/run --cases mysql")
    my = My(B, url)
    meta["mysql"] = f"{my.version()} ({B.version([my.exe, '--version'])})"
    part("mysql-apply-1000", lambda: case_apply(B, T, my, 1000, reps_slow))
    part("mysql-noop-1000", lambda: case_noop(B, T, my, 1000, reps))


def report(B, results, meta, lines):
    """The MySQL rows: targets, then a table per case."""
    if not any(k.startswith("mysql-") for k in results):
        return
    lines.append(f"**MySQL (issue 15)**: {meta.get('mysql', 'n/a')}, a throw-away server from scripts/lib/mariadb.sh (durability off), over TCP on 127.0.0.1.\n")
    lines.append("| target | goal | measured | |")
    lines.append("| --- | --- | ---: | --- |")
    for key, label in (("mysql-apply-1000", "apply-1000 on MariaDB: `migrate up` vs the mysql client"), ("mysql-noop-1000", "no-op-1000 on MariaDB: `migrate up` vs the client connecting and reading")):
        es = results.get(key)
        if es:
            r = B.ratio(B.med(es, "migrate"), B.med(es, "floor"))
            lines.append(f"| {label} | ≤ 1.2× floor | {B.fmt_ratio(r)} | {B.verdict(None if r is None else r <= 1.2)} |")
    lines.append("")
    for key, title in (("mysql-apply-1000", "mysql-apply-1000: fresh MariaDB database, 1,000 revisions"), ("mysql-noop-1000", "mysql-noop-1000: 1,000 revisions, all applied")):
        es = results.get(key)
        if es:
            floor = next(e.name for e in es if e.name.startswith("floor"))
            B.case_table(title, es, floor, lines)
