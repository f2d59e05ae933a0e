#include "pg/memory.hpp"

#include "pg/guard.hpp"

namespace pgfast::pg {

ScopedMemoryContext::ScopedMemoryContext(const char* name)
    : context_(call([name] {
        // The Internal variant: the macro insists on a literal; callers pass literals (see header).
        return AllocSetContextCreateInternal(CurrentMemoryContext, name, ALLOCSET_DEFAULT_SIZES);
      })),
      previous_(MemoryContextSwitchTo(context_)) {}

ScopedMemoryContext::~ScopedMemoryContext() {
  MemoryContextSwitchTo(previous_);
  MemoryContextDelete(context_);
}

}  // namespace pgfast::pg
