-- Self-describing objects (issue #21): every member of the pgfast extension, and the extension
-- itself, has a COMMENT (\df+ pgfast.*, \dv+ pgfast.*), and every pgfast.* setting has a
-- description in pg_settings. Each check lists the offenders: an empty list passes.
CREATE EXTENSION IF NOT EXISTS pgfast;
-- Members (functions, procedures, views, tables, sequences, ...) without a comment.
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS member_without_comment
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgfast')
   AND d.deptype = 'e'
   AND coalesce(obj_description(d.objid, d.classid::regclass::name), '') = ''
 ORDER BY 1;
-- Not vacuous: the query above saw the members (every kind the extension owns).
SELECT count(*) > 25 AS many_members,
       array_agg(DISTINCT d.classid::regclass::text ORDER BY d.classid::regclass::text) AS catalogs
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgfast')
   AND d.deptype = 'e';
-- The extension and its schema.
SELECT coalesce(obj_description(e.oid, 'pg_extension'), '') <> '' AS extension_has_comment,
       coalesce(obj_description(e.extnamespace, 'pg_namespace'), '') <> '' AS schema_has_comment
  FROM pg_extension e WHERE e.extname = 'pgfast';
-- Settings without a description, or whose description is not a sentence in PostgreSQL's style
-- (a verb first, "Sets ...": capital letter, third-person verb, full stop; the detail, if any,
-- ends with a full stop too). pgfast.cursor_secret is hidden from pg_settings (GUC_NO_SHOW_ALL).
SELECT name AS setting_without_sentence, short_desc, extra_desc
  FROM pg_settings
 WHERE name LIKE 'pgfast.%'
   AND (coalesce(short_desc, '') !~ '^[A-Z][a-z]+s .+\.$'
        OR (extra_desc IS NOT NULL AND extra_desc !~ '\.$'))
 ORDER BY name;
-- Not vacuous: the settings are there (the restart-only ones need pgfast preloaded).
SELECT count(*) > 15 AS has_settings FROM pg_settings WHERE name LIKE 'pgfast.%';
