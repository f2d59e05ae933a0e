// Copyable handles (Database, Redis) share one pool. The pool itself may be kept alive longer by
// what it lent out (a PooledConnection holds it), so "the last handle is gone" is tracked apart
// from the pool's own lifetime: make_shared_handle returns a pointer to the pool whose control
// block belongs to a small owner that calls close() on the pool when the last handle drops it.
#pragma once

#include <memory>

namespace pgfast::detail {

template <class Pool>
std::shared_ptr<Pool> make_shared_handle(std::shared_ptr<Pool> pool) {
  struct Owner {
    std::shared_ptr<Pool> pool;
    ~Owner() {
      if (pool) pool->close();
    }
  };
  auto owner = std::make_shared<Owner>();
  owner->pool = std::move(pool);
  Pool* raw = owner->pool.get();
  return std::shared_ptr<Pool>(std::move(owner), raw);  // aliasing: owns the Owner
}

}  // namespace pgfast::detail
