-- Every object of the pgfast extension with what a DBA relies on: definitions, privileges,
-- options, comments, configuration-dump entries. One line per fact, sorted, no OIDs, so two
-- databases can be compared with diff (tests/integration/upgrade_test.sh).
WITH ext AS (SELECT oid, extconfig, extcondition FROM pg_extension WHERE extname = 'pgfast'),
members AS (
  SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, ext
   WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
facts(fact) AS (
  -- Membership: every object by its identity.
  SELECT 'member ' || pg_describe_object(classid, objid, objsubid) FROM members
  UNION ALL
  -- Functions and procedures: the whole definition (language, volatility, security, SET, body),
  -- privileges and comment.
  SELECT 'function ' || p.oid::regprocedure || E'\n' || pg_get_functiondef(p.oid)
         || E'\nacl ' || coalesce(p.proacl::text, 'default') || ' cost ' || p.procost
         || ' rows ' || p.prorows || ' parallel ' || p.proparallel::text || ' leakproof ' || p.proleakproof
         || ' strict ' || p.proisstrict
         || E'\ncomment ' || coalesce(obj_description(p.oid, 'pg_proc'), '')
    FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  UNION ALL
  -- Relations: kind, options, privileges, comment; views their query.
  SELECT 'relation ' || c.oid::regclass || ' kind ' || c.relkind::text
         || ' options ' || coalesce(c.reloptions::text, '{}')
         || ' acl ' || coalesce(c.relacl::text, 'default') || ' persistence ' || c.relpersistence::text
         || E'\ncomment ' || coalesce(obj_description(c.oid, 'pg_class'), '')
         || CASE WHEN c.relkind = 'v' THEN E'\nview ' || pg_get_viewdef(c.oid) ELSE '' END
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  UNION ALL
  -- Columns of those relations: type, nullability, default, column privileges.
  SELECT 'column ' || c.oid::regclass || '.' || quote_ident(a.attname) || ' '
         || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
         || coalesce(' acl ' || a.attacl::text, '') || ' position ' || a.attnum
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  UNION ALL
  -- Indexes, constraints and triggers on pgfast's tables.
  SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
  UNION ALL
  SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
    FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid)
    FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
   WHERE NOT t.tgisinternal
  UNION ALL
  -- The schema's privileges and comment.
  SELECT 'schema pgfast acl ' || coalesce(n.nspacl::text, 'default') || ' comment '
         || coalesce(obj_description(n.oid, 'pg_namespace'), '')
    FROM pg_namespace n WHERE n.nspname = 'pgfast'
  UNION ALL
  -- The extension's own comment (the install and update scripts set it, over the control file's).
  SELECT 'extension pgfast comment ' || coalesce(obj_description(ext.oid, 'pg_extension'), '') FROM ext
  UNION ALL
  -- Tables whose data pg_dump keeps (pg_extension_config_dump).
  SELECT 'config dump ' || cfg.rel::regclass || ' ' || coalesce(cond, '')
    FROM ext, unnest(ext.extconfig, ext.extcondition) AS cfg(rel, cond)
)
SELECT fact FROM facts ORDER BY fact;
