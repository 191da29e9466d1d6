#pragma once

// Class-level operator new/delete that keep freed blocks of one type in a small per-thread cache,
// for large objects created and destroyed once per request (Stream: ~1.8 KB, above glibc's
// per-thread cache limit of 1032 bytes, so each request otherwise paid a slow-path malloc and free:
// the largest allocation cost on the proxy path in a profile).
//
// Contract: `class T : public RecycledAllocation<T>`. Blocks of exactly sizeof(T) are recycled
// (at most kMaxCached per thread; none under AddressSanitizer); anything else (a subclass) goes to
// the global operator new and delete. A block freed on another thread joins that thread's cache,
// which is fine: blocks are plain ::operator new memory. The cache is freed at thread exit; later
// frees go to ::operator delete.

#include <cstddef>
#include <new>
#include <vector>

namespace gateway::proxy {

// Under AddressSanitizer nothing is recycled, so a use after free of these objects is still caught.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kRecycledAllocationMax = 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr size_t kRecycledAllocationMax = 0;
#else
inline constexpr size_t kRecycledAllocationMax = 128;
#endif
#else
inline constexpr size_t kRecycledAllocationMax = 128;
#endif

template <typename T, size_t kMaxCached = kRecycledAllocationMax> class RecycledAllocation {
public:
  static void* operator new(size_t size) {
    if (kMaxCached != 0 && size == sizeof(T) && !cacheGone()) {
      std::vector<void*>& blocks = cache().blocks;
      if (!blocks.empty()) {
        void* p = blocks.back();
        blocks.pop_back();
        return p;
      }
    }
    return ::operator new(size);
  }

  static void operator delete(void* p, size_t size) {
    if (p == nullptr) {
      return;
    }
    if (kMaxCached != 0 && size == sizeof(T) && !cacheGone()) {
      std::vector<void*>& blocks = cache().blocks;
      if (blocks.size() < kMaxCached) {
        blocks.push_back(p);
        return;
      }
    }
    ::operator delete(p);
  }

private:
  struct Cache {
    std::vector<void*> blocks;
    Cache() { blocks.reserve(kMaxCached); }
    ~Cache() {
      for (void* p : blocks) {
        ::operator delete(p);
      }
      blocks.clear();
      cacheGone() = true;
    }
  };
  static Cache& cache() {
    thread_local Cache c;
    return c;
  }
  // Trivially destructible, so it is valid for the whole life of the thread.
  static bool& cacheGone() {
    thread_local bool gone = false;
    return gone;
  }
};

} // namespace gateway::proxy
