#include "pg/fault_points.hpp"

#include <new>
#include <string>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
int (*pgfast_fault_hook)(const char* point) = nullptr;
}

namespace pgfast::pg {

namespace {

// In PostgreSQL context (inside a pg::call lambda).
void raise(Fault fault, const char* point) {
  switch (fault) {
    case Fault::kNone:
      return;
    case Fault::kError:
      throw Error(sqlstate::kInternalError, std::string("pgfast: injected fault at ") + point);
    case Fault::kBadAlloc:
      throw std::bad_alloc();
    case Fault::kPgError:
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("pgfast: injected PostgreSQL error at %s", point)));
      return;
    case Fault::kInterrupts:
      CHECK_FOR_INTERRUPTS();
      return;
  }
}

}  // namespace

Fault fault_at(const char* point) noexcept {
  int (*hook)(const char*) = pgfast_fault_hook;
  return hook == nullptr ? Fault::kNone : static_cast<Fault>(hook(point));
}

void fault_point(const char* point) {
  Fault fault = fault_at(point);
  if (fault == Fault::kNone) return;
  call([fault, point] { raise(fault, point); });
}

void fault_point_in_pg(const char* point) {
  raise(fault_at(point), point);
}

}  // namespace pgfast::pg
