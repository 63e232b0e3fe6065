//! The catalog query: every object the drift report compares, in one
//! statement, each as (kind, relation, relation name, name, attribute
//! pairs), in the server's own words. `$1` is the version table's schema,
//! `$2` the tables left out there (the version table, `alembic_version`).
//! Run with `search_path = pg_catalog`, so every name it prints is
//! qualified the same way in any database. Extension members are left out
//! (`pg_depend` deptype `e`), and so are identity sequences (deptype `i`:
//! the column's identity says it).

pub(super) const CATALOG: &str = r#"
WITH ns AS (
  SELECT n.oid, n.nspname FROM pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
), rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relispartition, c.relpartbound,
         c.relrowsecurity, c.relforcerowsecurity, ns.nspname,
         format('%I.%I', ns.nspname, c.relname) AS qualified
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
    AND NOT (ns.nspname = $1 AND c.relname = ANY ($2::text[]))
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND (d.deptype = 'e' OR (d.deptype = 'i' AND c.relkind = 'S')))
)
SELECT 'schema' AS kind, NULL::text AS parent, NULL::text AS relname, nspname::text AS name, ARRAY[]::text[] AS attrs FROM ns
UNION ALL
SELECT 'extension', NULL, NULL, e.extname::text, ARRAY['version', e.extversion, 'schema', n.nspname::text]
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
UNION ALL
SELECT CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END,
  NULL, r.relname::text, r.qualified,
  CASE WHEN r.relkind IN ('v', 'm') THEN ARRAY['definition', pg_get_viewdef(r.oid)]
  ELSE ARRAY[
    'kind', CASE r.relkind WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
    'unlogged', CASE WHEN r.relpersistence = 'u' THEN 'yes' ELSE 'no' END,
    'partition key', pg_get_partkeydef(r.oid),
    'partition of', (SELECT string_agg(format('%I.%I', pn.nspname, p.relname), ', ' ORDER BY p.relname)
        FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE i.inhrelid = r.oid AND r.relispartition),
    'inherits', (SELECT string_agg(format('%I.%I', pn.nspname, p.relname), ', ' ORDER BY i.inhseqno)
        FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE i.inhrelid = r.oid AND NOT r.relispartition),
    'partition bound', pg_get_expr(r.relpartbound, r.oid),
    'row security', CASE WHEN r.relforcerowsecurity THEN 'forced' WHEN r.relrowsecurity THEN 'enabled' ELSE 'disabled' END
  ] END
FROM rel r WHERE r.relkind <> 'S'
UNION ALL
SELECT 'column', r.qualified, r.relname::text, a.attname::text, ARRAY[
  'type', format_type(a.atttypid, a.atttypmod),
  'nullable', CASE WHEN a.attnotnull THEN 'no' ELSE 'yes' END,
  'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
  'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
  'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
  'collation', CASE WHEN a.attcollation <> t.typcollation THEN
      (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END]
FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE r.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', r.qualified, r.relname::text, k.conname::text, ARRAY['definition', pg_get_constraintdef(k.oid)]
FROM rel r JOIN pg_constraint k ON k.conrelid = r.oid
WHERE k.contype IN ('c', 'f', 'p', 'u', 'x')
UNION ALL
SELECT 'index', r.qualified, r.relname::text, ic.relname::text, ARRAY[
  'definition', replace(pg_get_indexdef(i.indexrelid), ' INDEX ' || quote_ident(ic.relname) || ' ON ', ' INDEX ON '),
  'valid', CASE WHEN i.indisvalid THEN 'yes' ELSE 'no' END]
FROM rel r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = r.oid AND k.contype IN ('p', 'u', 'x'))
UNION ALL
SELECT 'sequence', o.qualified, o.relname::text, r.qualified, ARRAY[
  'type', format_type(s.seqtypid, NULL), 'start', s.seqstart::text, 'increment', s.seqincrement::text,
  'minimum', s.seqmin::text, 'maximum', s.seqmax::text, 'cache', s.seqcache::text,
  'cycle', CASE WHEN s.seqcycle THEN 'yes' ELSE 'no' END, 'owned by', o.attname]
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
LEFT JOIN LATERAL (SELECT t.qualified, t.relname, a.attname::text AS attname FROM pg_depend d
    JOIN rel t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' LIMIT 1) o ON true
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, NULL, NULL,
  format('%I.%I(%s)', ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
  ARRAY['definition', pg_get_functiondef(p.oid)]
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'w')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'trigger', r.qualified, r.relname::text, tg.tgname::text, ARRAY[
  'definition', pg_get_triggerdef(tg.oid),
  'enabled', CASE tg.tgenabled WHEN 'D' THEN 'no' WHEN 'R' THEN 'replica only' WHEN 'A' THEN 'always' ELSE 'yes' END]
FROM rel r JOIN pg_trigger tg ON tg.tgrelid = r.oid WHERE NOT tg.tgisinternal
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' ELSE 'domain' END, NULL, NULL, format('%I.%I', ns.nspname, t.typname),
  CASE t.typtype WHEN 'e' THEN ARRAY['labels',
      (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)]
  ELSE ARRAY[
    'type', format_type(t.typbasetype, t.typtypmod),
    'nullable', CASE WHEN t.typnotnull THEN 'no' ELSE 'yes' END,
    'default', pg_get_expr(t.typdefaultbin, 0),
    'collation', CASE WHEN t.typcollation <> bt.typcollation THEN
      (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END,
    'constraints', (SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY pg_get_constraintdef(k.oid)) FROM pg_constraint k WHERE k.contypid = t.oid)] END
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE t.typtype IN ('e', 'd')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT 'policy', r.qualified, r.relname::text, pol.polname::text, ARRAY[
  'command', CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
  'permissive', CASE WHEN pol.polpermissive THEN 'yes' ELSE 'no' END,
  'roles', (SELECT string_agg(CASE WHEN x.role = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(x.role)::text) END, ', ' ORDER BY 1)
      FROM unnest(pol.polroles) AS x(role)),
  'using', pg_get_expr(pol.polqual, pol.polrelid),
  'with check', pg_get_expr(pol.polwithcheck, pol.polrelid)]
FROM rel r JOIN pg_policy pol ON pol.polrelid = r.oid
"#;

/// The database-wide settings (`ALTER DATABASE ... SET`) of the current
/// database, as `name=value`: a scratch database gets the same ones, since
/// a revision body runs under them (a `search_path` above all).
pub(super) const DATABASE_SETTINGS: &str = "SELECT unnest(setconfig) FROM pg_db_role_setting \
    WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())";

/// Ends the session running exactly the statement `$1` (a `CREATE
/// DATABASE` of a name no other run picks), if one still is; a row while
/// it is. By the statement, not the process id: behind a transaction
/// pooler the id of one statement's server session says nothing of the
/// next.
pub(super) const END_CREATOR: &str = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
    WHERE query = $1 AND state = 'active' AND pid <> pg_backend_pid()";

/// Which database this is on which server: two URLs naming one database
/// give the same text.
pub(super) const IDENTITY: &str = "SELECT (SELECT oid FROM pg_database \
    WHERE datname = current_database())::text || '@' || pg_postmaster_start_time()::text";

/// Empties a shadow database after use, back to what a new database has:
/// every extension but `plpgsql` and every schema but `public` dropped,
/// and `public` dropped and made again with its owner, privileges and
/// comment as they were.
pub(super) const EMPTY: &str = r#"
DO $migrate_empty$
DECLARE
  name text;
  owner oid;
  acl aclitem[];
  note text;
  grant_ record;
BEGIN
  FOR name IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', name);
  END LOOP;
  FOR name IN SELECT nspname FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
        AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' LOOP
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', name);
  END LOOP;
  SELECT n.nspowner, n.nspacl, obj_description(n.oid, 'pg_namespace')
    INTO owner, acl, note FROM pg_namespace n WHERE n.nspname = 'public';
  IF owner IS NULL THEN
    RETURN;
  END IF;
  DROP SCHEMA public CASCADE;
  EXECUTE format('CREATE SCHEMA public AUTHORIZATION %s', owner::regrole);
  FOR grant_ IN SELECT a.grantee, a.privilege_type, a.is_grantable
      FROM aclexplode(acl) a WHERE a.grantee <> owner LOOP
    EXECUTE format('GRANT %s ON SCHEMA public TO %s%s', grant_.privilege_type,
      CASE WHEN grant_.grantee = 0 THEN 'PUBLIC' ELSE grant_.grantee::regrole::text END,
      CASE WHEN grant_.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  IF note IS NOT NULL THEN
    EXECUTE format('COMMENT ON SCHEMA public IS %L', note);
  END IF;
END
$migrate_empty$
"#;
