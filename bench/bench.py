#!/usr/bin/env python3
"""Runs the benchmark cases of issue 5 and prints a markdown report.

Run it through bench/run, which installs the peers, builds migrate and starts
PostgreSQL; this file expects:
  MIGRATE_TEST_POSTGRES_URL  admin URL of a throw-away server (databases bench_* are made in it)
  MIGRATE_BIN                the migrate binary (may be missing: its rows then say why)
  BENCH_ALEMBIC, BENCH_SQLX  the peers' executables
Timing: time.perf_counter around posix_spawn + wait4 of each command; max RSS is the
child's ru_maxrss from wait4 (what `/usr/bin/time -f %M` prints). Each case runs
every tool `reps` times, alternating the order, after one untimed warm-up.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import shlex
import urllib.parse

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import drift_case  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, ".work")
LOGS = os.path.join(WORK, "logs")


def find_psql():
    """The real psql: Debian's /usr/bin/psql is a Perl wrapper that costs ~100 ms a start."""
    if os.environ.get("BENCH_PSQL"):
        return os.environ["BENCH_PSQL"]
    found = []
    for d in os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else []:
        exe = os.path.join("/usr/lib/postgresql", d, "bin", "psql")
        if os.access(exe, os.X_OK) and d.isdigit():
            found.append((int(d), exe))
    return max(found)[1] if found else "psql"


PSQL = find_psql()


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


class Cmd:
    def __init__(self, argv, env=None, cwd=None, quiet=False):
        self.argv = [str(a) for a in argv]
        self.env = env or {}
        self.cwd = cwd
        self.quiet = quiet  # stdout to /dev/null instead of the log (the `cat` floor)


def tool_env(extra):
    env = dict(os.environ)
    # Alembic imports every revision module: let it keep .pyc files as a user's checkout would.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DATABASE_URL", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


class Failed(Exception):
    pass


TIME = "/usr/bin/time"
RSS_FILE = os.path.join(WORK, "rss.txt")


def spawn(cmd, logfile, rss=False):
    """Run one command; return (seconds, max RSS in KB or None). Raises Failed on non-zero exit.

    The max RSS comes from `/usr/bin/time -f %M` (rss=True), not from our own wait4: Linux
    carries a process's RSS high-water mark across exec, so a child spawned from this
    ~60 MB Python would report at least that. The wrapper costs about a millisecond, so
    short commands are timed without it and measured for RSS in a separate run.
    """
    argv = [TIME, "-f", "%M", "-o", RSS_FILE, *cmd.argv] if rss else cmd.argv
    path = shutil.which(argv[0]) or argv[0]
    env = tool_env(cmd.env)
    with open(logfile, "ab") as out:
        shown = " ".join(cmd.argv)
        out.write(f"$ {shown[:400]}{' ...' if len(shown) > 400 else ''}\n".encode())
        out.flush()
        old = os.getcwd()
        if cmd.cwd:
            os.chdir(cmd.cwd)
        try:
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0) if cmd.quiet else (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, out.fileno(), 2),
            ]
            t0 = time.perf_counter()
            try:
                pid = os.posix_spawn(path, argv, env, file_actions=actions)
            except OSError as ex:
                raise Failed(f"cannot run {cmd.argv[0]}: {ex}") from ex
            _, status, ru = os.wait4(pid, 0)
            elapsed = time.perf_counter() - t0
        finally:
            os.chdir(old)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(logfile, "rb") as f:
            tail = f.read()[-1500:].decode(errors="replace")
        raise Failed(f"`{' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(cmd.argv))}` exited {code}:\n{tail}")
    kb = None
    if rss:
        with open(RSS_FILE) as f:
            kb = int(f.read().split()[-1])
    return elapsed, kb


def run_seq(cmds, logfile, rss=False):
    """A tool's run may be several commands (one per database): total time, max RSS."""
    total, peak = 0.0, None
    for c in cmds:
        t, r = spawn(c, logfile, rss)
        total += t
        if r is not None:
            peak = max(peak or 0, r)
    return total, peak


# ---------------------------------------------------------------- PostgreSQL


class Pg:
    def __init__(self, admin_url):
        self.admin_url = admin_url
        u = urllib.parse.urlsplit(admin_url)
        self.netloc = u.netloc
        self.conn = psycopg.connect(admin_url, autocommit=True)

    def url(self, db, scheme="postgres"):
        return f"{scheme}://{self.netloc}/{db}"

    def fresh(self, db):
        self.conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self.conn.execute(f'CREATE DATABASE "{db}"')

    def drop(self, db):
        self.conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def query(self, db, sql, params=None):
        with psycopg.connect(self.url(db), autocommit=True) as c:
            return c.execute(sql, params).fetchall()

    def count_tables(self, db):
        return self.query(db, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\\_%'")[0][0]


# ---------------------------------------------------------------- tools


class Tools:
    def __init__(self, pg, migrate_bin, alembic, sqlx):
        self.pg = pg
        self.migrate = migrate_bin
        self.alembic = alembic
        self.sqlx = sqlx
        self.migrate_missing = None
        if not migrate_bin or not os.access(migrate_bin, os.X_OK):
            self.migrate_missing = f"no migrate binary at {migrate_bin or '(MIGRATE_BIN unset)'}"

    # migrate
    def migrate_config(self, hist, dbs):
        """migrate.toml for the databases `dbs` (name -> env var) of history `hist`."""
        path = os.path.join(hist, "migrate.toml")
        with open(path, "w") as f:
            for db, var in dbs.items():
                f.write(f'[databases.{db}]\nurl_env = "{var}"\nmigrations = "migrate/{db}"\n\n')
        return path

    def m(self, config, *args, env=None):
        return Cmd([self.migrate, "-c", config, *args], env)

    def baseline(self):
        """Another build of migrate to measure in the same run (BENCH_BASELINE_BIN),
        e.g. the last release: its rows are named `baseline: ...`."""
        exe = os.environ.get("BENCH_BASELINE_BIN")
        return exe if exe and os.access(exe, os.X_OK) else None

    # alembic: one environment per database folder, URL in BENCH_URL
    def a(self, hist, db, pgdb, *args):
        ini = os.path.join(hist, "alembic", db, "alembic.ini")
        return Cmd([self.alembic, "-c", ini, *args], {"BENCH_URL": self.pg.url(pgdb, "postgresql+psycopg")})

    # sqlx-cli
    def s(self, hist, db, pgdb):
        return Cmd([self.sqlx, "migrate", "run", "--source", os.path.join(hist, "sqlx", db), "--database-url", self.pg.url(pgdb)])

    def psql(self, pgdb, *args):
        return Cmd([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args, "-d", self.pg.url(pgdb)])

    def sqlx_stamp(self, hist, db, pgdb):
        """Record every migration of the folder as applied, as `sqlx migrate run` would."""
        folder = os.path.join(hist, "sqlx", db)
        rows = []
        for name in sorted(os.listdir(folder)):
            version, rest = name.split("_", 1)
            with open(os.path.join(folder, name), "rb") as f:
                checksum = hashlib.sha384(f.read()).digest()
            rows.append((int(version), rest[: -len(".sql")].replace("_", " "), checksum))
        with psycopg.connect(self.pg.url(pgdb)) as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, "
                "description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), "
                "success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
            )
            with c.cursor().copy("COPY _sqlx_migrations (version, description, success, checksum, execution_time) FROM STDIN") as cp:
                for v, d, ck in rows:
                    cp.write_row((v, d, True, ck, 1000))


# ---------------------------------------------------------------- measuring


# Alembic takes 6-12 s per run at 10,000 revisions, 30-500 times migrate: one
# timed run (after its warm-up) is enough for that ratio, and keeps `bench/run`
# on a fresh machine within its 15 minutes.
ALEMBIC_REPS_AT_10K = 1

class Entry:
    """One row of a case: how to prepare a run, the commands to time, how to check it."""

    def __init__(self, name, cmds, before=None, after=None, check=None, warm=None, skip=None, max_reps=None):
        self.name = name
        self.max_reps = max_reps  # timed runs at most (a tool that takes seconds per run)
        self.cmds = cmds  # rep -> [Cmd]
        self.before = before  # rep -> None (untimed)
        self.after = after  # rep -> None (untimed)
        self.check = check  # rep -> None, raises Failed
        self.warm = warm  # -> None, untimed, once
        self.skip = skip  # reason or None
        self.times = []
        self.rss = []
        self.error = skip

    def median(self):
        return statistics.median(self.times) if self.times else None

    def max_rss_mb(self):
        return max(self.rss) / 1024 if self.rss else None


def one_run(case, e, rep, logfile, rss, timed, check):
    try:
        if e.before:
            e.before(rep)
        t, kb = run_seq(e.cmds(rep), logfile, rss)
        if check and e.check:
            e.check(rep)
        if timed:
            e.times.append(t)
        if kb is not None:
            e.rss.append(kb)
    except (Failed, psycopg.Error) as ex:
        e.error = str(ex).strip()
        log(f"{case}/{e.name} failed: {e.error.splitlines()[0]}")
    finally:
        if e.after:
            try:
                e.after(rep)
            except psycopg.Error:
                pass


def measure(case, entries, reps, rss_inline=False):
    """Warm up, then `reps` timed runs per entry, rotating which entry goes first.

    rss_inline=False (short commands): one extra untimed run under /usr/bin/time gives the
    max RSS and checks the result; the timed runs are bare. rss_inline=True (runs of
    seconds, where the wrapper's millisecond is noise): every timed run is wrapped.
    """
    logfile = os.path.join(LOGS, f"{case}.log")
    for e in entries:
        if e.warm and not e.error:
            try:
                e.warm()
            except Failed as ex:
                e.error = f"warm-up failed: {ex}"
    if not rss_inline:
        for e in entries:
            if not e.error:
                one_run(case, e, reps, logfile, rss=True, timed=False, check=True)
    for rep in range(reps):
        live = [e for e in entries if not e.error and (e.max_reps is None or len(e.times) < e.max_reps)]
        if not live:
            break
        k = rep % len(live)
        for e in live[k:] + live[:k]:
            one_run(case, e, rep, logfile, rss=rss_inline, timed=True, check=rss_inline and rep == 0)
    for e in entries:
        m = e.median()
        log(f"{case}/{e.name}: " + (f"median {m * 1000:.1f} ms over {len(e.times)}" if m is not None else f"n/a ({(e.error or '').splitlines()[0] if e.error else ''})"))
    return entries


# ---------------------------------------------------------------- cases


def hist_dir(name):
    return os.path.join(WORK, "hist", name)


def make_history(name, dbs, n, shape="linear", tools=("migrate", "alembic", "sqlx", "floor")):
    out = hist_dir(name)
    stamp = os.path.join(out, "params.json")
    params = json.dumps({"dbs": dbs, "n": n, "shape": shape, "tools": list(tools), "gen": gen_digest()})
    try:
        with open(stamp) as f:
            if f.read() == params:
                log(f"reusing {name}: {len(dbs)} x {n} revisions ({shape})")
                return out
    except OSError:
        pass
    t0 = time.perf_counter()
    gen.generate(out, dbs, n, shape, tools)
    with open(stamp, "w") as f:
        f.write(params)
    log(f"generated {name}: {len(dbs)} x {n} revisions ({shape}) in {time.perf_counter() - t0:.1f} s")
    return out


def gen_digest():
    """Histories on disk are reused only when gen.py is unchanged."""
    with open(gen.__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def case_noop(T, n, reps, peers=True, name=None, parallel_floor=False):
    """Two databases of n revisions, all applied; each tool has its own pair of databases.

    parallel_floor: the two psql sessions run at once (migrate connects to both
    databases at once), as the far-away case's floor is defined."""
    name = name or f"noop-{n}"
    hist = make_history(f"noop-{n}", ["core", "ai"], n)
    pg = T.pg
    dbs = {tool: {db: f"bench_noop{n}_{tool}_{db}" for db in ("core", "ai")} for tool in ("migrate", "alembic", "sqlx")}
    for tool in dbs.values():
        for d in tool.values():
            pg.fresh(d)
    entries = []
    env = {"BENCH_CORE_URL": pg.url(dbs["migrate"]["core"]), "BENCH_AI_URL": pg.url(dbs["migrate"]["ai"])}
    cfg = T.migrate_config(hist, {"core": "BENCH_CORE_URL", "ai": "BENCH_AI_URL"})

    def migrate_setup():
        logfile = os.path.join(LOGS, f"{name}.setup.log")
        try:
            run_seq([T.m(cfg, "stamp", db, "head", env=env) for db in ("core", "ai")], logfile)
        except Failed:
            log(f"{name}: `migrate stamp` failed, applying with `migrate up --all` instead")
            run_seq([T.m(cfg, "up", "--all", env=env)], logfile)

    entries.append(Entry("migrate up --all", lambda rep: [T.m(cfg, "up", "--all", env=env)], warm=migrate_setup, skip=T.migrate_missing))
    if T.baseline():
        # Same databases and files: a no-op reads and changes nothing.
        entries.append(Entry("baseline: migrate up --all", lambda rep: [Cmd([T.baseline(), "-c", cfg, "up", "--all"], env)], skip=T.migrate_missing))
    if parallel_floor:
        both = [shlex.join(T.psql(dbs["migrate"][db], "-Atc", "SELECT 1").argv) for db in ("core", "ai")]
        script = f"{both[0]} & first=$!; {both[1]} || exit 1; wait $first"
        entries.append(Entry("floor: 2 x psql SELECT 1 at once", lambda rep: [Cmd(["/bin/sh", "-c", script])]))
    else:
        entries.append(Entry("floor: 2 x psql SELECT 1", lambda rep: [T.psql(dbs["migrate"][db], "-Atc", "SELECT 1") for db in ("core", "ai")]))
    if peers:
        logfile = os.path.join(LOGS, f"{name}.setup.log")
        entries.append(
            Entry(
                "alembic upgrade head (x2)",
                lambda rep: [T.a(hist, db, dbs["alembic"][db], "upgrade", "head") for db in ("core", "ai")],
                warm=lambda: run_seq([T.a(hist, db, dbs["alembic"][db], "stamp", "head") for db in ("core", "ai")], logfile),
                max_reps=ALEMBIC_REPS_AT_10K if n >= 10000 else None,
            )
        )

        def sqlx_setup():
            for db in ("core", "ai"):
                T.sqlx_stamp(hist, db, dbs["sqlx"][db])

        entries.append(Entry("sqlx migrate run (x2)", lambda rep: [T.s(hist, db, dbs["sqlx"][db]) for db in ("core", "ai")], warm=sqlx_setup))
    measure(name, entries, reps)
    for tool in dbs.values():
        for d in tool.values():
            pg.drop(d)
    return entries


def case_apply(T, n, reps, peers=True, name=None):
    """A fresh database per run, n revisions of CREATE TABLE + CREATE INDEX."""
    name = name or f"apply-{n}"
    hist = make_history(f"apply-{n}", ["core"], n, tools=("migrate", "alembic", "sqlx", "floor") if peers else ("migrate", "floor"))
    pg = T.pg
    cfg = T.migrate_config(hist, {"core": "BENCH_CORE_URL"})

    def db(tool, rep):
        return f"bench_{name.replace('-', '_')}_{tool}_{rep}"

    def fresh(tool):
        return lambda rep: pg.fresh(db(tool, rep))

    def drop(tool):
        return lambda rep: pg.drop(db(tool, rep))

    def check(tool):
        def f(rep):
            got = pg.count_tables(db(tool, rep))
            if got != n:
                raise Failed(f"{tool} left {got} tables, expected {n}")

        return f

    logfile = os.path.join(LOGS, f"{name}.setup.log")
    entries = [
        Entry(
            "migrate up",
            lambda rep: [T.m(cfg, "up", "core", env={"BENCH_CORE_URL": pg.url(db("migrate", rep))})],
            before=fresh("migrate"),
            after=drop("migrate"),
            check=check("migrate"),
            warm=lambda: run_seq([Cmd(["cat", *sorted(os.path.join(hist, "migrate", "core", f) for f in os.listdir(os.path.join(hist, "migrate", "core")))], quiet=True)], logfile),
            skip=T.migrate_missing,
        ),
        Entry(
            "floor: psql -f, BEGIN/COMMIT per revision",
            lambda rep: [T.psql(db("floor", rep), "-f", os.path.join(hist, "floor", "core.sql"))],
            before=fresh("floor"),
            after=drop("floor"),
            check=check("floor"),
        ),
    ]
    if T.baseline():
        entries.append(
            Entry(
                "baseline: migrate up",
                lambda rep: [Cmd([T.baseline(), "-c", cfg, "up", "core"], {"BENCH_CORE_URL": pg.url(db("baseline", rep))})],
                before=fresh("baseline"),
                after=drop("baseline"),
                check=check("baseline"),
            )
        )
    if peers:
        entries.append(
            Entry(
                "alembic upgrade head",
                lambda rep: [T.a(hist, "core", db("alembic", rep), "upgrade", "head")],
                before=fresh("alembic"),
                after=drop("alembic"),
                check=check("alembic"),
                # writes the .pyc files, as any earlier alembic command in a checkout has
                warm=lambda: run_seq([T.a(hist, "core", "postgres", "heads")], logfile),
            )
        )
        entries.append(
            Entry(
                "sqlx migrate run",
                lambda rep: [T.s(hist, "core", db("sqlx", rep))],
                before=fresh("sqlx"),
                after=drop("sqlx"),
                check=check("sqlx"),
            )
        )
    return measure(name, entries, reps, rss_inline=True)


def case_graph(T, n, reps, peers=True):
    """n revision files with n/50 fork/merge diamonds: static commands only."""
    name = f"graph-{n}"
    hist = make_history(name, ["g"], n, "graph", tools=("migrate", "alembic"))
    cfg = T.migrate_config(hist, {"g": "BENCH_G_URL"})
    env = {"BENCH_G_URL": T.pg.url("postgres")}
    folder = os.path.join(hist, "migrate", "g")
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    logfile = os.path.join(LOGS, f"{name}.setup.log")
    entries = [
        Entry("migrate check", lambda rep: [T.m(cfg, "check", "g", env=env)], skip=T.migrate_missing),
        Entry("migrate heads", lambda rep: [T.m(cfg, "heads", "g", env=env)], skip=T.migrate_missing),
        Entry("floor: cat all files", lambda rep: [Cmd(["cat", *files], quiet=True)]),
    ]
    if peers:
        entries.append(
            Entry(
                "alembic heads",
                lambda rep: [T.a(hist, "g", "postgres", "heads")],
                warm=lambda: run_seq([T.a(hist, "g", "postgres", "heads")], logfile),
                max_reps=ALEMBIC_REPS_AT_10K if n >= 10000 else None,
            )
        )
    return measure(name, entries, reps)


def case_wide(T, n, reps, ndb=8):
    """ndb fresh databases of n revisions: `up --all` against ndb sequential `up DB`."""
    name = "wide"
    names = [f"d{i}" for i in range(1, ndb + 1)]
    hist = make_history(name, names, n, tools=("migrate",))
    pg = T.pg
    cfg = T.migrate_config(hist, {d: f"BENCH_{d.upper()}_URL" for d in names})

    def pgdb(kind, d, rep):
        return f"bench_wide_{kind}_{d}_{rep}"

    def env(kind, rep):
        return {f"BENCH_{d.upper()}_URL": pg.url(pgdb(kind, d, rep)) for d in names}

    def before(kind):
        return lambda rep: [pg.fresh(pgdb(kind, d, rep)) for d in names]

    def after(kind):
        return lambda rep: [pg.drop(pgdb(kind, d, rep)) for d in names]

    def check(kind):
        def f(rep):
            for d in names:
                got = pg.count_tables(pgdb(kind, d, rep))
                if got != n:
                    raise Failed(f"{d} has {got} tables, expected {n}")

        return f

    entries = [
        Entry(f"migrate up --all ({ndb} databases)", lambda rep: [T.m(cfg, "up", "--all", env=env("all", rep))], before=before("all"), after=after("all"), check=check("all"), skip=T.migrate_missing),
        Entry(f"floor: {ndb} sequential migrate up DB", lambda rep: [T.m(cfg, "up", d, env=env("seq", rep)) for d in names], before=before("seq"), after=after("seq"), check=check("seq"), skip=T.migrate_missing),
    ]
    return measure(name, entries, reps)


# The env.py of the import case: Alembic's offline mode, as its own template
# configures it, for `alembic upgrade head --sql`.
ALEMBIC_OFFLINE_ENV = '''import os

from alembic import context

context.configure(url=os.environ["BENCH_URL"], literal_binds=True, dialect_opts={"paramstyle": "named"})
with context.begin_transaction():
    context.run_migrations()
'''


def case_import(T, n, reps):
    """An Alembic history of n revisions with fork/merge diamonds, turned into revision files by
    `migrate import alembic`, against Alembic rendering the same history with `upgrade head --sql`.

    Each run imports into a folder of its own, removed only when the case ends: files deleted
    just before a run make ext4 look longer for free inodes (`recently_deleted`), which would
    time the deletion rather than the import."""
    name = f"import-{n}"
    hist = make_history(name, ["core"], n, "graph", tools=("alembic",))
    with open(os.path.join(hist, "alembic", "core", "env.py"), "w") as f:
        f.write(ALEMBIC_OFFLINE_ENV)
    ini = os.path.join(hist, "alembic", "core", "alembic.ini")
    imported = os.path.join(hist, "imported")
    shutil.rmtree(imported, ignore_errors=True)
    cfg = os.path.join(hist, "migrate.toml")
    with open(cfg, "w") as f:
        f.write('[databases.done]\nurl_env = "BENCH_DONE_URL"\nmigrations = "imported/done"\n\n')
        for rep in range(reps + 1):
            f.write(f'[databases.fresh{rep}]\nurl_env = "BENCH_FRESH_URL"\nmigrations = "imported/fresh{rep}"\n\n')
    logfile = os.path.join(LOGS, f"{name}.setup.log")

    def imp(db):
        cmd = T.m(cfg, "import", "alembic", db, "--ini", ini, "--dialect", "postgresql", "--python", sys.executable)
        cmd.quiet = True
        return cmd

    def check(rep):
        folder = os.path.join(imported, f"fresh{rep}")
        got = len(os.listdir(folder)) if os.path.isdir(folder) else 0
        if got != n:
            raise Failed(f"migrate import wrote {got} files, expected {n}")

    def offline():
        cmd = T.a(hist, "core", "postgres", "upgrade", "head", "--sql")
        cmd.quiet = True
        return cmd

    def warm():
        # writes the .pyc files, as any earlier alembic command in a checkout has
        run_seq([T.a(hist, "core", "postgres", "heads")], logfile)
        run_seq([imp("done")], logfile)

    entries = [
        Entry("migrate import alembic", lambda rep: [imp(f"fresh{rep}")], check=check, warm=warm, skip=T.migrate_missing),
        Entry("migrate import alembic, all imported already", lambda rep: [imp("done")], skip=T.migrate_missing),
        Entry("alembic upgrade head --sql", lambda rep: [offline()]),
        # What creating that many files costs on this disk, whoever writes them.
        Entry(f"files alone: cp -r of the {n} imported files", lambda rep: [Cmd(["cp", "-r", os.path.join(imported, "done"), os.path.join(imported, f"copy{rep}")])]),
    ]
    measure(name, entries, reps)
    shutil.rmtree(imported, ignore_errors=True)
    return entries


# ---------------------------------------------------------------- far away (issue 14)

# Each way: a 20 ms round trip, as to the public proxy of a managed database.
FAR_DELAY_MS = 10


class FarPg:
    """The benchmark server as seen through the delay proxy: URLs go through it;
    making and dropping databases (untimed) goes direct."""

    def __init__(self, pg, addr):
        self.pg = pg
        user = pg.netloc.rsplit("@", 1)[0] + "@" if "@" in pg.netloc else ""
        self.netloc = f"{user}{addr}"
        self.conn = pg.conn

    def url(self, db, scheme="postgres"):
        return f"{scheme}://{self.netloc}/{db}"

    def fresh(self, db):
        self.pg.fresh(db)

    def drop(self, db):
        self.pg.drop(db)

    def query(self, db, sql, params=None):
        return self.pg.query(db, sql, params)

    def count_tables(self, db):
        return self.pg.count_tables(db)


def start_far_proxy(pg):
    """The project's delay proxy (bench/run builds it) in front of the server."""
    exe = os.environ.get("BENCH_DELAY_PROXY")
    if not exe or not os.access(exe, os.X_OK):
        return None, "no delay proxy (BENCH_DELAY_PROXY unset or not built)"
    host_port = pg.netloc.rsplit("@", 1)[-1]
    proc = subprocess.Popen([exe, "--upstream", host_port, "--delay-ms", str(FAR_DELAY_MS)], stdout=subprocess.PIPE, text=True)
    addr = proc.stdout.readline().strip()
    if not addr:
        proc.kill()
        return None, "the delay proxy did not start"
    return (proc, addr), None


def far_round_trips(far, near, n):
    """Round trips per revision beyond the server's own work: the extra time
    through the proxy over the same run without it, in round trips, per revision."""
    rtt = 2 * FAR_DELAY_MS / 1000
    rows = []
    for label, prefix in (("migrate", "migrate"), ("floor (psql -f)", "floor"), ("Alembic", "alembic"), ("sqlx-cli", "sqlx")):
        f, l = med(far, prefix), med(near, prefix)
        rows.append((label, None if f is None or l is None else (f - l) / rtt / n))
    return rows


# ---------------------------------------------------------------- report


def fmt_ms(s):
    if s is None:
        return "n/a"
    ms = s * 1000
    return f"{ms:,.0f} ms" if ms >= 100 else f"{ms:.1f} ms"


def fmt_mb(m):
    return "n/a" if m is None else f"{m:.1f} MB"


def verdict(ok):
    if ok is None:
        return "n/a"
    return "**met**" if ok else "**missed**"


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=tool_env({}))
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "n/a"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def case_table(title, entries, floor_name, lines):
    floor = next((e for e in entries if e.name == floor_name), None)
    fm = floor.median() if floor else None
    lines.append(f"**{title}**\n")
    lines.append("| tool | median | min | runs | ratio vs floor | max RSS |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for e in entries:
        m = e.median()
        ratio = f"{m / fm:.2f}×" if m is not None and fm else "n/a"
        if e is floor:
            ratio = "1.00× (floor)"
        if m is None:
            why = (e.error or "not run").splitlines()[0][:120]
            lines.append(f"| {e.name} | n/a | | | failed: {why} | |")
        else:
            lines.append(f"| {e.name} | {fmt_ms(m)} | {fmt_ms(min(e.times))} | {len(e.times)} | {ratio} | {fmt_mb(e.max_rss_mb())} |")
    lines.append("")


def by_name(entries, prefix):
    return next((e for e in entries if e.name.startswith(prefix)), None)


def med(entries, prefix):
    e = by_name(entries, prefix) if entries else None
    return e.median() if e else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}×"


def report(results, meta, args):
    L = []
    L.append(f"### Benchmark results ({meta['date']})\n")
    L.append(f"- machine: {meta['cores']} cores ({meta['cpu']}), {meta['mem']}, load average before the run {meta['load']}")
    L.append(f"- versions: {meta['migrate']}; PostgreSQL server {meta['server']} ({meta['psql']}); {meta['alembic']} with SQLAlchemy {meta['sqlalchemy']} and psycopg {meta['psycopg']}; {meta['sqlx']}")
    L.append(f"- reproduce: `{meta['command']}` (runs per tool: {args.reps} for noop, check and wide; {args.reps_slow} for apply and the 10,000-revision cases; {args.reps_apply_10k} for apply at 10,000; Alembic {ALEMBIC_REPS_AT_10K} at 10,000; medians; each tool's runs alternate with the others')")
    L.append("- PostgreSQL is a throw-away local cluster (fsync off), reached over TCP on 127.0.0.1.\n")

    noop, apply_, graph, wide = results.get("noop-1000"), results.get("apply-1000"), results.get("graph-10000"), results.get("wide")
    targets = []
    if noop:
        r = ratio(med(noop, "migrate"), med(noop, "floor"))
        targets.append(("noop: `migrate up --all` on 2 × 1,000 vs 2 sequential psql", "≤ 1.0× floor", fmt_ratio(r), verdict(None if r is None else r <= 1.0)))
        r = ratio(med(noop, "alembic"), med(noop, "migrate"))
        targets.append(("noop: Alembic time / migrate time", "≥ 20×", fmt_ratio(r), verdict(None if r is None else r >= 20)))
    if apply_:
        r = ratio(med(apply_, "migrate"), med(apply_, "floor"))
        targets.append(("apply-1000: `migrate up` vs psql -f, one transaction per revision", "≤ 1.0× floor", fmt_ratio(r), verdict(None if r is None else r <= 1.0)))
        r = ratio(med(apply_, "migrate"), med(apply_, "sqlx"))
        targets.append(("apply-1000: migrate / sqlx-cli", "< 1.0× (faster)", fmt_ratio(r), verdict(None if r is None else r < 1.0)))
    if graph:
        m = med(graph, "migrate check")
        targets.append(("graph-10k: `migrate check` time", "≤ 300 ms", fmt_ms(m), verdict(None if m is None else m <= 0.3)))
        r = ratio(m, med(graph, "floor"))
        targets.append(("graph-10k: `migrate check` vs cat of all files", "≤ 5× floor", fmt_ratio(r), verdict(None if r is None else r <= 5)))
    if wide:
        r = ratio(med(wide, "floor"), med(wide, "migrate"))
        targets.append(("wide: 8 sequential `up DB` / one `up --all`", "≥ 1.8× faster", fmt_ratio(r), verdict(None if r is None else r >= 1.8)))
    imp = results.get("import-500")
    if imp:
        r = ratio(med(imp, "migrate import alembic"), med(imp, "alembic upgrade head --sql"))
        targets.append(("import-500: `migrate import alembic` / `alembic upgrade head --sql`", "≤ 1.0×", fmt_ratio(r), verdict(None if r is None else r <= 1.0)))
    big = []
    for key in ("graph-10000", "noop-10000", "apply-10000"):
        for e in results.get(key) or []:
            if e.name.startswith("migrate") and e.max_rss_mb() is not None:
                big.append((f"{key} {e.name}", e.max_rss_mb()))
    if big:
        worst = max(big, key=lambda x: x[1])
        targets.append(("peak RSS of migrate, every case with 10,000 revisions", "≤ 30 MB", f"{worst[1]:.1f} MB ({worst[0]})", verdict(worst[1] <= 30)))
    # scaling: growth of migrate's median per 10x revisions
    for kind, prefix in (("noop", "migrate"), ("apply", "migrate"), ("graph", "migrate check")):
        pts = [(n, med(results.get(f"{kind}-{n}"), prefix)) for n in (100, 1000, 10000)]
        pts = [(n, m) for n, m in pts if m is not None]
        if len(pts) >= 2:
            growth = max(b / a for (_, a), (_, b) in zip(pts, pts[1:]))
            targets.append((f"scaling: {kind}, worst growth of migrate's time per 10× revisions", "≤ 10× (linear or better; 12× allowed for noise)", fmt_ratio(growth), verdict(growth <= 12)))

    far_noop, far_apply, near_apply = results.get("far-noop-200"), results.get("far-apply-100"), results.get("near-apply-100")
    if far_noop:
        r = ratio(med(far_noop, "migrate"), med(far_noop, "floor"))
        targets.append((f"far ({2 * FAR_DELAY_MS} ms round trip): no-op `up --all` on 2 × 200 vs 2 psql at once", "≤ 1.25× floor", fmt_ratio(r), verdict(None if r is None else r <= 1.25)))
    if far_apply and near_apply:
        trips = dict(far_round_trips(far_apply, near_apply, 100))
        t = trips.get("migrate")
        targets.append((f"far ({2 * FAR_DELAY_MS} ms round trip): round trips per revision of `up` of 100", "≤ 1.5", "n/a" if t is None else f"{t:.2f}", verdict(None if t is None else t <= 1.5)))

    for key, label in (("noop-1000", "noop-1000"), ("apply-1000", "apply-1000")):
        es = results.get(key)
        if es and by_name(es, "baseline"):
            r = ratio(med(es, "migrate"), med(es, "baseline"))
            targets.append((f"{label}: this build / the baseline build (BENCH_BASELINE_BIN)", "≤ 1.0× (no worse; noise ±10%)", fmt_ratio(r), verdict(None if r is None else r <= 1.1)))

    targets.extend(drift_case.targets(results, sys.modules[__name__]))
    L.append("**Targets (issue 5)**\n")
    L.append("| target | goal | measured | |")
    L.append("| --- | --- | ---: | --- |")
    for t in targets:
        L.append("| " + " | ".join(t) + " |")
    L.append("")

    titles = {
        "noop-1000": ("noop: two databases × 1,000 revisions, all applied", "floor: 2 x psql SELECT 1"),
        "apply-1000": ("apply-1000: fresh database, 1,000 revisions (CREATE TABLE + CREATE INDEX)", "floor: psql -f, BEGIN/COMMIT per revision"),
        "graph-10000": ("graph-10k: 10,000 revision files, 200 fork/merge diamonds", "floor: cat all files"),
        "wide": ("wide: 8 fresh databases × 100 revisions", "floor: 8 sequential migrate up DB"),
        "import-500": ("import: an Alembic history of 500 revisions (10 fork/merge diamonds) into revision files", "alembic upgrade head --sql"),
    }
    titles.update({
        "far-noop-200": (f"far: no-op `up --all`, 2 × 200 revisions applied, server {2 * FAR_DELAY_MS} ms away", "floor: 2 x psql SELECT 1 at once"),
        "far-apply-100": (f"far: `up` of 100 revisions on a fresh database, server {2 * FAR_DELAY_MS} ms away", "floor: psql -f, BEGIN/COMMIT per revision"),
        "near-apply-100": ("near: the same 100 revisions without the proxy", "floor: psql -f, BEGIN/COMMIT per revision"),
    })
    for key, (title, floor) in titles.items():
        if results.get(key):
            case_table(title, results[key], floor, L)
    if far_apply and near_apply:
        L.append(f"**far: round trips per revision beyond the server's own work** ((far − near) / {2 * FAR_DELAY_MS} ms / 100)\n")
        L.append("| tool | round trips per revision |")
        L.append("| --- | ---: |")
        for label, t in far_round_trips(far_apply, near_apply, 100):
            L.append(f"| {label} | {'n/a' if t is None else f'{t:.2f}'} |")
        L.append("")

    if results.get("drift-200"):
        case_table("drift-200: `verify --schema` of a database built from 200 revisions, and `up` building one", results["drift-200"], "migrate up (fresh database)", L)

    # scaling table
    rows = []
    for kind, floor in (("noop", "floor"), ("apply", "floor"), ("graph", "floor")):
        for n in (100, 1000, 10000):
            es = results.get(f"{kind}-{n}")
            if not es:
                continue
            fm = med(es, "floor")
            cells = []
            for label, prefix in (("migrate", "migrate check" if kind == "graph" else "migrate"), ("floor", "floor"), ("alembic", "alembic"), ("sqlx-cli", "sqlx")):
                m = med(es, prefix)
                e = by_name(es, prefix)
                if e is None:
                    cells.append("—")
                elif m is None:
                    cells.append("failed")
                else:
                    cells.append(fmt_ms(m) + (f" ({fmt_ratio(ratio(m, fm))})" if label != "floor" else ""))
            mig = by_name(es, "migrate check" if kind == "graph" else "migrate")
            rss = fmt_mb(mig.max_rss_mb()) if mig else "—"
            rows.append(f"| {kind if kind != 'graph' else 'check'} | {n:,} | " + " | ".join(cells) + f" | {rss} |")
    if rows:
        L.append("**Scaling** (median; ratio vs the floor of the same size; apply at 10,000 runs migrate and the floor only)\n")
        L.append("| case | revisions | migrate | floor | Alembic | sqlx-cli | migrate max RSS |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        L.extend(rows)
        L.append("")
    if any(k.startswith("mysql-") for k in results):
        import bench_mysql

        bench_mysql.report(sys.modules[__name__], results, meta, L)
    L.append("Timings of the parts of this run: " + ", ".join(f"{k} {v:.0f} s" for k, v in meta["parts"].items()) + ".")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description="migrate benchmark (issue 5)")
    p.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "5")), help="runs per tool for fast cases")
    p.add_argument("--reps-slow", type=int, default=int(os.environ.get("BENCH_REPS_SLOW", "3")), help="runs per tool for apply and the 10,000-revision cases")
    p.add_argument("--reps-apply-10k", type=int, default=int(os.environ.get("BENCH_REPS_APPLY_10K", "1")), help="runs per tool for apply at 10,000 revisions")
    p.add_argument("--cases", default=os.environ.get("BENCH_CASES", "noop,apply,graph,wide,scaling,far"), help="comma-separated subset of noop,apply,graph,wide,scaling,import,far,mysql (import and mysql are not in the default)")
    p.add_argument("--command", default="bench/run", help="command line shown in the report")
    args = p.parse_args()
    cases = set(args.cases.split(","))

    os.makedirs(LOGS, exist_ok=True)
    for f in os.listdir(LOGS):
        os.remove(os.path.join(LOGS, f))
    pg = Pg(os.environ["MIGRATE_TEST_POSTGRES_URL"])
    T = Tools(pg, os.environ.get("MIGRATE_BIN"), os.environ["BENCH_ALEMBIC"], os.environ["BENCH_SQLX"])
    if T.migrate_missing:
        log(f"migrate rows will be n/a: {T.migrate_missing}")

    import alembic
    import sqlalchemy

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "mem": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "migrate": version([T.migrate, "--version"]) if not T.migrate_missing else "migrate (not built)",
        "server": pg.conn.execute("SHOW server_version").fetchone()[0],
        "psql": version([PSQL, "--version"]),
        "alembic": f"alembic {alembic.__version__}",
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "sqlx": version([T.sqlx, "--version"]),
        "command": args.command,
        "parts": json.loads(os.environ.get("BENCH_PARTS", "{}")),
    }
    R, S = args.reps, args.reps_slow
    results = {}

    def part(key, fn):
        t0 = time.perf_counter()
        log(f"case {key} ...")
        results[key] = fn()
        meta["parts"][key] = time.perf_counter() - t0

    if "noop" in cases:
        part("noop-1000", lambda: case_noop(T, 1000, R))
    if "apply" in cases:
        part("apply-1000", lambda: case_apply(T, 1000, S))
    if "graph" in cases:
        part("graph-10000", lambda: case_graph(T, 10000, S))
    if "wide" in cases:
        part("wide", lambda: case_wide(T, 100, R))
    if "import" in cases:
        part("import-500", lambda: case_import(T, 500, R))
    if "far" in cases:
        proxy, why = start_far_proxy(pg)
        if proxy is None:
            log(f"far cases skipped: {why}")
        else:
            proc, addr = proxy
            far = Tools(FarPg(pg, addr), T.migrate, T.alembic, T.sqlx)
            try:
                part("far-noop-200", lambda: case_noop(far, 200, R, name="far-noop-200", parallel_floor=True))
                part("far-apply-100", lambda: case_apply(far, 100, S, name="far-apply-100"))
                part("near-apply-100", lambda: case_apply(T, 100, S, name="near-apply-100"))
            finally:
                proc.terminate()
                proc.wait()
    if "mysql" in cases:
        import bench_mysql

        bench_mysql.run(sys.modules[__name__], T, R, S, part, meta)
    if "scaling" in cases:
        part("noop-100", lambda: case_noop(T, 100, R))
        part("apply-100", lambda: case_apply(T, 100, S))
        part("graph-100", lambda: case_graph(T, 100, R))
        part("graph-1000", lambda: case_graph(T, 1000, R))
        part("noop-10000", lambda: case_noop(T, 10000, S))
        part("apply-10000", lambda: case_apply(T, 10000, args.reps_apply_10k, peers=False))

    if "drift" in cases:
        part("drift-200", lambda: drift_case.case_drift(T, 200, S, sys.modules[__name__]))

    text = report(results, meta, args)
    with open(os.path.join(WORK, "results.md"), "w") as f:
        f.write(text)
    raw = {k: [{"name": e.name, "times": e.times, "rss_kb": e.rss, "error": e.error} for e in v] for k, v in results.items()}
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": raw}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
