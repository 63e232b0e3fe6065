"""Reads an Alembic project for `migrate import alembic` (src/import/).

The migrate binary runs this with the user's own Python:

    PYTHON -c <this file> --ini PATH --dialect NAME [--engine NAME]

and it answers with JSON lines on stdout (anything else the project prints
goes to stderr):

1. {"kind": "project", ...}: Alembic's version and the version locations;
2. {"kind": "revision", ...} for every revision, then {"kind": "listed"};
3. it reads revision ids from stdin, one a line, until end of input, and
   renders each: {"kind": "rendered", ...}; then {"kind": "done"}.

A failure before the listing is {"kind": "error", "stage": ..., ...} and
exit status 3; the stages are "import" (no Alembic), "scripts" (the ini or
the script directory), "load" (a revision module fails to load) and
"graph" (Alembic rejects the history).

Every decision about the files is the binary's: this only asks Alembic.
Rendering is Alembic's offline mode: a MigrationContext with as_sql and
literal_binds (as Alembic's own env.py template configures it), calling each
revision's upgrade() and downgrade() directly, so Alembic's version-table
statements and its BEGIN/COMMIT are never produced. Python 3.8+.
"""

import inspect
import io
import json
import os
import re
import sys
import traceback
from contextlib import contextmanager

CREATE_DATE = re.compile(r"^\s*Create Date:\s*(.+?)\s*$", re.MULTILINE)


def main():
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    # The project may print; only records may reach the binary's pipe.
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(record):
        out.write(json.dumps(record, sort_keys=True) + "\n")
        # The listing may wait in the buffer; the binary writes each
        # rendered revision's file while the next one renders.
        if record["kind"] != "revision":
            out.flush()

    args = parse_args(sys.argv[1:])
    # `-c` puts the current folder first on sys.path; the `alembic` command
    # does not, and prepend_sys_path is how a project asks for it.
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    try:
        import alembic
        import sqlalchemy
        from alembic.config import Config
        from alembic.runtime.environment import EnvironmentContext
        from alembic.script import ScriptDirectory
    except ImportError as e:
        emit(error("import", e))
        return 3
    try:
        config = Config(args["ini"])
        script = ScriptDirectory.from_config(config)
    except Exception as e:
        emit(error("scripts", e))
        return 3
    locations = version_locations(script)
    emit(
        {
            "kind": "project",
            "alembic": alembic.__version__,
            "sqlalchemy": sqlalchemy.__version__,
            "python": sys.version.split()[0],
            "script_location": os.path.realpath(str(script.dir)),
            "version_locations": locations,
        }
    )
    try:
        scripts = {sc.revision: sc for sc in script.walk_revisions("base", "heads")}
    except Exception as e:
        from alembic.util import CommandError

        stage = "graph" if isinstance(e, CommandError) else "load"
        emit(error(stage, e, locations))
        return 3
    for sc in scripts.values():
        emit(listing(sc, locations))
    emit({"kind": "listed"})

    wanted = [line.strip() for line in sys.stdin if line.strip()]
    if wanted:
        buffer = io.StringIO()
        env = EnvironmentContext(config, script, as_sql=True)
        with env:
            env.configure(
                dialect_name=args["dialect"],
                literal_binds=True,
                dialect_opts={"paramstyle": "named"},
                output_buffer=buffer,
            )
            context = env.get_context()
            offline = OfflineBind(context.impl.connection)
            context.connection = context.impl.connection = offline
            for rid in wanted:
                emit(render(scripts[rid], context, buffer, args.get("engine")))
    emit({"kind": "done"})
    # Tearing down the interpreter and every module loaded would only make
    # the binary wait; nothing is left to write.
    sys.stderr.flush()
    os._exit(0)


def parse_args(argv):
    args = {}
    for flag, value in zip(argv[::2], argv[1::2]):
        args[flag.lstrip("-")] = value
    return args


def error(stage, e, locations=()):
    """The failure, and the innermost place in a revision module it came from."""
    where = None
    for frame in traceback.extract_tb(e.__traceback__):
        path = os.path.realpath(frame.filename)
        if any(path.startswith(loc + os.sep) for loc in locations):
            where = "%s:%d" % (os.path.relpath(path), frame.lineno)
    return {
        "kind": "error",
        "stage": stage,
        "message": "%s: %s" % (type(e).__name__, e),
        "where": where,
        "traceback": "".join(traceback.format_exception(type(e), e, e.__traceback__)),
    }


def version_locations(script):
    found = getattr(script, "_version_locations", None)
    if not found:
        found = [os.path.join(str(script.dir), "versions")]
    return [os.path.realpath(str(p)) for p in found]


def to_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def listing(sc, locations):
    # Alembic has resolved the module's path already, as the locations are;
    # resolving again is only for an Alembic that did not.
    path = os.path.abspath(sc.path)
    holders = [loc for loc in locations if path.startswith(loc + os.sep)]
    if not holders:
        path = os.path.realpath(sc.path)
        holders = [loc for loc in locations if path.startswith(loc + os.sep)]
    location = max(holders, key=len) if holders else None
    relative = os.path.relpath(path, location) if location else os.path.basename(path)
    date = CREATE_DATE.search(sc.longdoc)
    return {
        "kind": "revision",
        "id": sc.revision,
        "down_revision": to_list(sc.down_revision),
        "branch_labels": to_list(getattr(sc.module, "branch_labels", None)),
        "depends_on": list(getattr(sc, "_resolved_dependencies", None) or ()),
        "message": sc.doc,
        "create_date": date.group(1) if date else None,
        "location": location,
        "path": relative.replace(os.sep, "/"),
        "engines": engines(sc.module),
    }


def engines(module):
    """The engines of Alembic's multidb template: upgrade(engine_name)
    dispatches to upgrade_<engine>(); a plain upgrade() takes nothing."""
    upgrade = getattr(module, "upgrade", None)
    try:
        takes_engine = bool(inspect.signature(upgrade).parameters)
    except (TypeError, ValueError):
        takes_engine = False
    if not takes_engine:
        return []
    names = [n[len("upgrade_"):] for n in dir(module) if n.startswith("upgrade_")]
    return sorted(n for n in names if callable(getattr(module, "downgrade_" + n, None)))


def chosen(module, name, engine):
    if engine:
        fn = getattr(module, "%s_%s" % (name, engine), None)
        if fn is not None:
            return fn, fn
        base = getattr(module, name)
        return (lambda: base(engine_name=engine)), base
    fn = getattr(module, name)
    return fn, fn


def render(sc, context, buffer, engine):
    used = {"autocommit": False}

    @contextmanager
    def autocommit_block():
        # Recorded, not emitted: the file says `transaction off` instead of
        # Alembic's COMMIT/BEGIN around the block.
        used["autocommit"] = True
        yield

    context.autocommit_block = autocommit_block
    up_fn, up_source = chosen(sc.module, "upgrade", engine)
    up_sql, up_error = run(up_fn, sc, context, buffer)
    down_fn, _ = chosen(sc.module, "downgrade", engine)
    down_sql, down_error = run(down_fn, sc, context, buffer)
    record = {
        "kind": "rendered",
        "id": sc.revision,
        "autocommit_block": used["autocommit"],
        "upgrade_sql": up_sql,
        "upgrade_error": up_error,
        "upgrade_source": None,
        "downgrade_sql": down_sql,
        "downgrade_error": down_error,
    }
    if up_error is not None:
        try:
            record["upgrade_source"] = inspect.getsource(up_source)
        except (OSError, TypeError):
            record["upgrade_source"] = ""
    return record


def run(fn, sc, context, buffer):
    from alembic.operations import Operations

    buffer.seek(0)
    buffer.truncate()
    try:
        with Operations.context(context):
            fn()
    except (Exception, SystemExit) as e:
        return None, reason(e, sc)
    return buffer.getvalue(), None


def reason(e, sc):
    if isinstance(e, NeedsDatabase):
        text = str(e)
    else:
        text = "%s: %s" % (type(e).__name__, e)
    line = None
    path = os.path.realpath(sc.path)
    for frame in traceback.extract_tb(e.__traceback__):
        if os.path.realpath(frame.filename) == path:
            line = frame.lineno
    return text if line is None else "line %d: %s" % (line, text)


class NeedsDatabase(Exception):
    """Raised when a revision asks the database for something offline."""


def first_line(statement):
    text = str(statement).strip().splitlines()
    return text[0][:80] if text else ""


class OfflineBind:
    """What op.get_bind() returns while rendering: statements run through it
    are rendered like op.execute(); reading what they return is an error."""

    def __init__(self, mock):
        self._mock = mock

    def __getattr__(self, name):
        return getattr(self._mock, name)

    def execute(self, statement, parameters=None, *args, **kwargs):
        from sqlalchemy import text

        if isinstance(statement, str):
            statement = text(statement)
        rows = parameters if isinstance(parameters, (list, tuple)) else [parameters or {}]
        for values in rows:
            bound = statement
            if values:
                bound = (
                    statement.bindparams(**values)
                    if hasattr(statement, "bindparams")
                    else statement.params(**values)
                )
            self._mock.execute(bound)
        return Unread(statement)

    def exec_driver_sql(self, statement, *args, **kwargs):
        raise NeedsDatabase(
            "it runs `%s` through op.get_bind().exec_driver_sql(), which needs "
            "a database connection" % first_line(statement)
        )

    def scalar(self, statement, *args, **kwargs):
        return Unread(statement).scalar()

    def scalars(self, statement, *args, **kwargs):
        return Unread(statement).scalars()


class Unread:
    """The result of a statement rendered offline: there are no rows."""

    def __init__(self, statement):
        self._statement = first_line(statement)

    def _fail(self, *args, **kwargs):
        raise NeedsDatabase(
            "it reads rows through op.get_bind() (the result of `%s`), and "
            "offline there is no database to read them from" % self._statement
        )

    __iter__ = __bool__ = __len__ = __getitem__ = _fail

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._fail()


if __name__ == "__main__":
    sys.exit(main())
