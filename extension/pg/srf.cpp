#include "pg/srf.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
}

namespace pgfast::pg {

MaterializedResult::MaterializedResult(FunctionCallInfo fcinfo) : fcinfo_(fcinfo), natts_(0) {
  call([fcinfo] { InitMaterializedSRF(fcinfo, 0); });
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  natts_ = rsinfo->setDesc->natts;
}

void MaterializedResult::put(const Datum* values, const bool* nulls) {
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo_->resultinfo);
  call([rsinfo, values, nulls] {
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, const_cast<Datum*>(values),
                         const_cast<bool*>(nulls));
  });
}

Datum composite_datum(FunctionCallInfo fcinfo, const Datum* values, const bool* nulls) {
  return call([fcinfo, values, nulls] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "function returning a record called in a context that cannot accept one");
    desc = BlessTupleDesc(desc);
    HeapTuple tuple = heap_form_tuple(desc, const_cast<Datum*>(values), const_cast<bool*>(nulls));
    return HeapTupleGetDatum(tuple);
  });
}

}  // namespace pgfast::pg
