-- Hostile use of pgfast._notify_changes_trigger (issue #15 item 1). EXECUTE on it stays granted to
-- PUBLIC (a table owner's pgfast.notify_changes() must be able to create the triggers), so any
-- role can attach it by hand, without the transition tables it reads: every such trigger must be
-- refused with a clear error, never crash the backend (0.1.0 died of SIGSEGV here).
CREATE ROLE regress_pgfast_notify_attacker;
SET ROLE regress_pgfast_notify_attacker;
\set VERBOSITY terse
CREATE TEMP TABLE t (id int PRIMARY KEY);
-- INSERT without NEW TABLE (the 0.1.0 crash, no grant needed).
CREATE TRIGGER x AFTER INSERT ON t FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '1');
INSERT INTO t VALUES (1);
DROP TRIGGER x ON t;
INSERT INTO t VALUES (1), (2);
-- DELETE without OLD TABLE.
CREATE TRIGGER x AFTER DELETE ON t FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '1');
DELETE FROM t WHERE id = 1;
DROP TRIGGER x ON t;
-- UPDATE with only one of the two tables.
CREATE TRIGGER x AFTER UPDATE ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '1');
UPDATE t SET id = id + 10;
DROP TRIGGER x ON t;
CREATE TRIGGER x AFTER UPDATE ON t REFERENCING OLD TABLE AS o FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '1');
UPDATE t SET id = id + 10;
DROP TRIGGER x ON t;
-- Row-level, BEFORE, missing or malformed arguments.
CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH ROW
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '1');
INSERT INTO t VALUES (3);
DROP TRIGGER x ON t;
CREATE TRIGGER x BEFORE INSERT ON t FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '1');
INSERT INTO t VALUES (3);
DROP TRIGGER x ON t;
CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger();
INSERT INTO t VALUES (3);
DROP TRIGGER x ON t;
CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', 'lots');
INSERT INTO t VALUES (3);
DROP TRIGGER x ON t;
CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '-5');
INSERT INTO t VALUES (3);
DROP TRIGGER x ON t;
-- A channel name too long for NOTIFY: PostgreSQL's own error, through the guard.
CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger(
    'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', '1');
INSERT INTO t VALUES (3);
DROP TRIGGER x ON t;
-- Called as a plain function.
SELECT pgfast._notify_changes_trigger();
-- The backend is alive and the table holds what the refused statements left.
SELECT array_agg(id ORDER BY id) AS ids FROM t;
-- A hand-made trigger that does declare the tables works like pgfast.notify_changes's own.
CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION pgfast._notify_changes_trigger('c', '10');
INSERT INTO t VALUES (4);
DROP TABLE t;
-- notify_changes' own catalog queries resolve no operator through the caller's search_path: an
-- exact-match operator `=` (oid, regclass) in a schema the attacker owns, on a privileged
-- caller's search_path, would otherwise win over pg_catalog's and run as that caller
-- (the CVE-2018-1058 class).
RESET ROLE;
CREATE SCHEMA regress_notify_evil AUTHORIZATION regress_pgfast_notify_attacker;
SET ROLE regress_pgfast_notify_attacker;
CREATE TABLE regress_notify_evil.ran_as (who name);
GRANT INSERT ON regress_notify_evil.ran_as TO PUBLIC;
CREATE FUNCTION regress_notify_evil.eq(oid, regclass) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO regress_notify_evil.ran_as VALUES (current_user);
  RETURN $1 OPERATOR(pg_catalog.=) $2::oid;
END $$;
CREATE OPERATOR regress_notify_evil.= (LEFTARG = oid, RIGHTARG = regclass,
                                       FUNCTION = regress_notify_evil.eq);
RESET ROLE;
CREATE TABLE regress_notify_victim (id int PRIMARY KEY);
SET search_path = public, regress_notify_evil;
SELECT pgfast.notify_changes('regress_notify_victim');
SELECT pgfast.stop_notify_changes('regress_notify_victim');
RESET search_path;
SELECT count(*) AS attacker_operator_calls FROM regress_notify_evil.ran_as;
DROP TABLE regress_notify_victim;
DROP SCHEMA regress_notify_evil CASCADE;
DROP ROLE regress_pgfast_notify_attacker;
