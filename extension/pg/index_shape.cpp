#include "pg/index_shape.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/amapi.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_utilcmd.h"
#include "parser/parser.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
}

namespace pgfast::pg {

namespace {

// What pg_index (and pg_class.relam) says about an index, normalised as the relcache normalises
// stored expressions. Plain C data in palloc'd memory.
struct Shape {
  Oid am;
  bool unique;
  bool nulls_not_distinct;
  int natts;
  int nkey;
  AttrNumber attnums[INDEX_MAX_KEYS];
  Oid opclass[INDEX_MAX_KEYS];
  Oid collation[INDEX_MAX_KEYS];
  int16 option[INDEX_MAX_KEYS];
  List* exprs;
  List* pred;
};

// The single IndexStmt `sql` parses to (PostgreSQL's grammar; its syntax errors as they are).
IndexStmt* parse_index_statement(const char* sql) {
  List* raw = raw_parser(sql, RAW_PARSE_DEFAULT);
  if (list_length(raw) != 1 || !IsA(linitial_node(RawStmt, raw)->stmt, IndexStmt)) {
    ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("not a single index definition")));
  }
  return castNode(IndexStmt, linitial_node(RawStmt, raw)->stmt);
}

// True when the statement has nothing but what pgfast put there: `elements` key elements,
// `include` INCLUDE columns, a predicate iff `has_where`.
bool has_only(const IndexStmt* stmt, int elements, int include, bool has_where) {
  return list_length(stmt->indexParams) == elements &&
         list_length(stmt->indexIncludingParams) == include &&
         (stmt->whereClause != nullptr) == has_where && stmt->options == NIL &&
         stmt->tableSpace == nullptr && !stmt->nulls_not_distinct && !stmt->if_not_exists;
}

Shape* describe(Oid relid, const char* sql) {
  IndexStmt* stmt = parse_index_statement(sql);
  stmt = transformIndexStmt(relid, stmt, sql);
  auto* s = static_cast<Shape*>(palloc0(sizeof(Shape)));
  s->am = get_index_am_oid(stmt->accessMethod, false);
  IndexAmRoutine* am = GetIndexAmRoutineByAmId(s->am, false);
  s->unique = stmt->unique;
  s->nulls_not_distinct = stmt->nulls_not_distinct;
  if (stmt->unique && !am->amcanunique) {
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("access method \"%s\" does not support unique indexes", stmt->accessMethod)));
  }
  int nkey = list_length(stmt->indexParams);
  int ninclude = list_length(stmt->indexIncludingParams);
  if (ninclude > 0 && !am->amcaninclude) {
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("access method \"%s\" does not support included columns", stmt->accessMethod)));
  }
  if (nkey + ninclude > INDEX_MAX_KEYS) {
    ereport(ERROR, (errcode(ERRCODE_TOO_MANY_COLUMNS),
                    errmsg("cannot use more than %d columns in an index", INDEX_MAX_KEYS)));
  }
  List* all = list_concat_copy(stmt->indexParams, stmt->indexIncludingParams);
  int i = 0;
  ListCell* lc;
  foreach (lc, all) {
    IndexElem* e = lfirst_node(IndexElem, lc);
    Oid type;
    Oid collation;
    if (e->name != nullptr) {
      HeapTuple tuple = SearchSysCacheAttName(relid, e->name);
      if (!HeapTupleIsValid(tuple)) {
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_COLUMN),
                 errmsg("column \"%s\" does not exist in %s", e->name, get_rel_name(relid))));
      }
      auto* att = reinterpret_cast<Form_pg_attribute>(GETSTRUCT(tuple));
      s->attnums[i] = att->attnum;
      type = att->atttypid;
      collation = att->attcollation;
      ReleaseSysCache(tuple);
    } else {
      Node* expr = e->expr;
      type = exprType(expr);
      collation = exprCollation(expr);
      while (IsA(expr, CollateExpr))
        expr = reinterpret_cast<Node*>(castNode(CollateExpr, expr)->arg);
      if (IsA(expr, Var) && castNode(Var, expr)->varattno != InvalidAttrNumber) {
        s->attnums[i] = castNode(Var, expr)->varattno;  // "(column)" is the column
      } else {
        s->attnums[i] = 0;
        s->exprs = lappend(s->exprs, expr);
      }
    }
    if (i < nkey) {
      if (e->collation != NIL) collation = get_collation_oid(e->collation, false);
      s->collation[i] = type_is_collatable(type) ? collation : InvalidOid;
      s->opclass[i] = ResolveOpClass(e->opclass, type, stmt->accessMethod, s->am);
      int16 option = 0;
      if (am->amcanorder) {
        if (e->ordering == SORTBY_DESC) option |= INDOPTION_DESC;
        if (e->nulls_ordering == SORTBY_NULLS_FIRST ||
            (e->nulls_ordering == SORTBY_NULLS_DEFAULT && e->ordering == SORTBY_DESC)) {
          option |= INDOPTION_NULLS_FIRST;
        }
      } else if (e->ordering != SORTBY_DEFAULT || e->nulls_ordering != SORTBY_NULLS_DEFAULT) {
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("access method \"%s\" does not support ASC/DESC/NULLS options",
                               stmt->accessMethod)));
      }
      s->option[i] = option;
    }
    ++i;
  }
  s->natts = i;
  s->nkey = nkey;
  // The form DefineIndex stores in pg_index: the transformed expressions, and the predicate as
  // make_ands_explicit(make_ands_implicit(where)). Not normalised further: see stored_tree.
  fix_opfuncids(reinterpret_cast<Node*>(s->exprs));
  s->pred = make_ands_implicit(reinterpret_cast<Expr*>(stmt->whereClause));
  fix_opfuncids(reinterpret_cast<Node*>(s->pred));
  return s;
}

// A Shape as a tree of plain nodes (lists of integers and OIDs, the expression and predicate
// trees), so that nodeToString/stringToNode carry it: [[unique, nulls_not_distinct, natts, nkey],
// [am], attnums, opclasses, collations, options, exprs, pred].
Node* shape_to_tree(const Shape* s) {
  List* flags = list_make4_int(s->unique, s->nulls_not_distinct, s->natts, s->nkey);
  List* attnums = NIL;
  for (int i = 0; i < s->natts; ++i) attnums = lappend_int(attnums, s->attnums[i]);
  List* opclass = NIL;
  List* collation = NIL;
  List* option = NIL;
  for (int i = 0; i < s->nkey; ++i) {
    opclass = lappend_oid(opclass, s->opclass[i]);
    collation = lappend_oid(collation, s->collation[i]);
    option = lappend_int(option, s->option[i]);
  }
  List* tree = list_make4(flags, list_make1_oid(s->am), attnums, opclass);
  tree = lappend(tree, collation);
  tree = lappend(tree, option);
  tree = lappend(tree, s->exprs);
  tree = lappend(tree, s->pred);
  return reinterpret_cast<Node*>(tree);
}

[[noreturn]] void bad_tree() {
  ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("malformed stored index definition")));
}

List* tree_list(List* tree, int n, NodeTag tag, int length) {
  auto* l = static_cast<List*>(list_nth(tree, n));
  if (list_length(l) != length || (l != NIL && l->type != tag)) bad_tree();
  return l;
}

Shape* shape_from_tree(const char* text) {
  Node* node = static_cast<Node*>(stringToNode(text));
  if (node == nullptr || !IsA(node, List) || list_length(castNode(List, node)) != 8) bad_tree();
  List* tree = castNode(List, node);
  auto* s = static_cast<Shape*>(palloc0(sizeof(Shape)));
  List* flags = tree_list(tree, 0, T_IntList, 4);
  s->unique = list_nth_int(flags, 0) != 0;
  s->nulls_not_distinct = list_nth_int(flags, 1) != 0;
  s->natts = list_nth_int(flags, 2);
  s->nkey = list_nth_int(flags, 3);
  if (s->natts < 1 || s->natts > INDEX_MAX_KEYS || s->nkey < 1 || s->nkey > s->natts) bad_tree();
  s->am = linitial_oid(tree_list(tree, 1, T_OidList, 1));
  List* attnums = tree_list(tree, 2, T_IntList, s->natts);
  List* opclass = tree_list(tree, 3, T_OidList, s->nkey);
  List* collation = tree_list(tree, 4, T_OidList, s->nkey);
  List* option = tree_list(tree, 5, T_IntList, s->nkey);
  for (int i = 0; i < s->natts; ++i)
    s->attnums[i] = static_cast<AttrNumber>(list_nth_int(attnums, i));
  for (int i = 0; i < s->nkey; ++i) {
    s->opclass[i] = list_nth_oid(opclass, i);
    s->collation[i] = list_nth_oid(collation, i);
    s->option[i] = static_cast<int16>(list_nth_int(option, i));
  }
  s->exprs = static_cast<List*>(list_nth(tree, 6));
  s->pred = static_cast<List*>(list_nth(tree, 7));
  if ((s->exprs != NIL && !IsA(s->exprs, List)) || (s->pred != NIL && !IsA(s->pred, List))) {
    bad_tree();
  }
  fix_opfuncids(reinterpret_cast<Node*>(s->exprs));
  fix_opfuncids(reinterpret_cast<Node*>(s->pred));
  return s;
}

bool same_shape(const Shape* a, const Shape* b) {
  if (a->am != b->am || a->unique != b->unique || a->nulls_not_distinct != b->nulls_not_distinct ||
      a->natts != b->natts || a->nkey != b->nkey) {
    return false;
  }
  for (int i = 0; i < a->natts; ++i) {
    if (a->attnums[i] != b->attnums[i]) return false;
  }
  for (int i = 0; i < a->nkey; ++i) {
    if (a->opclass[i] != b->opclass[i] || a->collation[i] != b->collation[i] ||
        a->option[i] != b->option[i]) {
      return false;
    }
  }
  return equal(a->exprs, b->exprs) && equal(a->pred, b->pred);
}

// A pg_index expression column (indexprs, indpred) as stored: read from the tuple, never through
// RelationGetIndexExpressions / RelationGetIndexPredicate. Those apply eval_const_expressions,
// which runs every immutable function with constant arguments -- the index owner's code, as
// whoever compares (CVE-2022-1552). Comparing stored trees with the requested ones, transformed
// the same way, evaluates nothing.
Node* stored_tree(HeapTuple index_tuple, AttrNumber column) {
  bool is_null;
  Datum stored = SysCacheGetAttr(INDEXRELID, index_tuple, column, &is_null);
  if (is_null) return nullptr;
  auto* tree = static_cast<Node*>(stringToNode(TextDatumGetCString(stored)));
  fix_opfuncids(tree);
  return tree;
}

// The shape of an existing index as pg_index stores it.
Shape* existing_shape(Relation index) {
  auto* s = static_cast<Shape*>(palloc0(sizeof(Shape)));
  Form_pg_index form = index->rd_index;
  s->am = index->rd_rel->relam;
  s->unique = form->indisunique;
  s->nulls_not_distinct = form->indnullsnotdistinct;
  s->natts = form->indnatts;
  s->nkey = form->indnkeyatts;
  bool is_null;
  Datum classes =
      SysCacheGetAttr(INDEXRELID, index->rd_indextuple, Anum_pg_index_indclass, &is_null);
  auto* indclass = reinterpret_cast<oidvector*>(DatumGetPointer(classes));
  for (int i = 0; i < s->natts; ++i) s->attnums[i] = form->indkey.values[i];
  for (int i = 0; i < s->nkey; ++i) {
    s->opclass[i] = indclass->values[i];
    s->collation[i] = index->rd_indcollation[i];
    s->option[i] = index->rd_indoption[i];
  }
  s->exprs = castNode(List, stored_tree(index->rd_indextuple, Anum_pg_index_indexprs));
  s->pred = make_ands_implicit(
      reinterpret_cast<Expr*>(stored_tree(index->rd_indextuple, Anum_pg_index_indpred)));
  return s;
}

// The name of a valid, ready index of `relid` with `wanted`'s shape, or nullptr.
char* find_index(Oid relid, const Shape* wanted) {
  Relation rel = table_open(relid, NoLock);
  List* indexes = RelationGetIndexList(rel);
  char* found = nullptr;
  ListCell* lc;
  foreach (lc, indexes) {
    Relation index = index_open(lfirst_oid(lc), AccessShareLock);
    Form_pg_index form = index->rd_index;
    if (form->indisvalid && form->indisready && form->indislive &&
        same_shape(existing_shape(index), wanted)) {
      found = pstrdup(RelationGetRelationName(index));
    }
    index_close(index, AccessShareLock);
    if (found != nullptr) break;
  }
  table_close(rel, NoLock);
  return found;
}

// The older valid index of the same table with `index`'s shape, or nullptr.
char* find_duplicate(Oid index_oid) {
  Relation index = index_open(index_oid, AccessShareLock);
  Oid table = index->rd_index->indrelid;
  Shape* shape = existing_shape(index);
  index_close(index, AccessShareLock);
  Relation rel = table_open(table, AccessShareLock);
  List* indexes = RelationGetIndexList(rel);
  char* found = nullptr;
  ListCell* lc;
  foreach (lc, indexes) {
    Oid other_oid = lfirst_oid(lc);
    if (other_oid >= index_oid) continue;
    Relation other = index_open(other_oid, AccessShareLock);
    Form_pg_index form = other->rd_index;
    if (form->indisvalid && form->indislive && same_shape(existing_shape(other), shape) &&
        (found == nullptr)) {
      found = pstrdup(RelationGetRelationName(other));
    }
    index_close(other, AccessShareLock);
  }
  table_close(rel, AccessShareLock);
  return found;
}

// The part an element contributes to a default index name: the column, the function, or "expr".
const char* element_name_part(const char* element) {
  const char* sql = psprintf("CREATE INDEX ON x (%s)", element);
  IndexElem* e = linitial_node(IndexElem, parse_index_statement(sql)->indexParams);
  if (e->name != nullptr) return e->name;
  if (e->expr != nullptr && IsA(e->expr, FuncCall)) {
    return strVal(llast(castNode(FuncCall, e->expr)->funcname));
  }
  return "expr";
}

}  // namespace

void require_index_method(const std::string& method) {
  const char* m = method.c_str();
  call([m] { get_index_am_oid(m, false); });
}

bool index_statement_has_only(const std::string& sql, int elements, int include, bool has_where) {
  const char* text = sql.c_str();
  return call([text, elements, include, has_where] {
    return has_only(parse_index_statement(text), elements, include, has_where);
  });
}

std::string index_shape(Oid relation, const std::string& sql) {
  const char* text = sql.c_str();
  return call([relation, text] { return nodeToString(shape_to_tree(describe(relation, text))); });
}

std::optional<std::string> find_index_with_shape(Oid relation, const std::string& shape) {
  const char* text = shape.c_str();
  char* name = call([relation, text] { return find_index(relation, shape_from_tree(text)); });
  if (name == nullptr) return std::nullopt;
  return std::string(name);
}

bool same_index_shape(const std::string& a, const std::string& b) {
  const char* ta = a.c_str();
  const char* tb = b.c_str();
  return call([ta, tb] { return same_shape(shape_from_tree(ta), shape_from_tree(tb)); });
}

bool index_expression_equals_stored(Oid relation, const std::string& sql,
                                    const std::string& stored) {
  const char* text = sql.c_str();
  const char* tree_text = stored.c_str();
  return call([relation, text, tree_text] {
    Shape* requested = describe(relation, text);
    auto* tree = static_cast<Node*>(stringToNode(tree_text));
    fix_opfuncids(tree);
    return list_length(requested->exprs) == 1 && equal(linitial(requested->exprs), tree);
  });
}

std::optional<std::string> older_equivalent_index(Oid index) {
  char* name = call([index] { return find_duplicate(index); });
  if (name == nullptr) return std::nullopt;
  return std::string(name);
}

std::string index_element_name_part(const std::string& element) {
  const char* text = element.c_str();
  return call([text] { return element_name_part(text); });
}

std::string choose_relation_name(Oid relation, const std::string& name2, const std::string& label) {
  const char* n = name2.c_str();
  const char* l = label.c_str();
  return call([relation, n, l] {
    return ChooseRelationName(get_rel_name(relation), n, l, get_rel_namespace(relation), false);
  });
}

}  // namespace pgfast::pg
