#include "base/small_buffers.h"

#include <sys/mman.h>

#include <array>
#include <new>

#include "base/check.h"
#include "base/spin_lock.h"

namespace strata {

void* AllocateHugePageSlab(size_t bytes) {
  STRATA_CHECK(bytes % kHugePageBytes == 0) << bytes;
  void* p = ::operator new(bytes, std::align_val_t(kHugePageBytes));
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint; failure is harmless
  return p;
}

void FreeHugePageSlab(void* p) { ::operator delete(p, std::align_val_t(kHugePageBytes)); }

namespace {

constexpr size_t kGranule = 16;
constexpr size_t kSizes = kSmallBufferMax / kGranule;

// The free list of buffers of `bytes`.
constexpr size_t SizeIndex(size_t bytes) { return bytes / kGranule - 1; }

struct FreeBuffer {
  FreeBuffer* next;
};

// One lock for all sizes: a head allocates a buffer every few dozen
// samples, so the lock is rarely wanted by two threads at once.
class Arena {
 public:
  void* Allocate(size_t bytes) {
    SpinLockHolder l(&mu_);
    if (FreeBuffer*& head = free_[SizeIndex(bytes)]; head != nullptr) {
      FreeBuffer* b = head;
      head = b->next;
      return b;
    }
    if (static_cast<size_t>(end_ - next_) < bytes) {
      // The rest of the slab, a multiple of 16 bytes, is one buffer of its size.
      if (next_ != end_) Push(next_, static_cast<size_t>(end_ - next_));
      next_ = static_cast<char*>(AllocateHugePageSlab(kHugePageBytes));
      end_ = next_ + kHugePageBytes;
    }
    void* p = next_;
    next_ += bytes;
    return p;
  }
  void Free(void* p, size_t bytes) {
    SpinLockHolder l(&mu_);
    Push(p, bytes);
  }

 private:
  void Push(void* p, size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    FreeBuffer*& head = free_[SizeIndex(bytes)];
    head = new (p) FreeBuffer{head};
  }

  SpinLock mu_;
  std::array<FreeBuffer*, kSizes> free_ ABSL_GUARDED_BY(mu_){};
  char* next_ ABSL_GUARDED_BY(mu_) = nullptr;  // the unused part of the newest slab
  char* end_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// Never destroyed: buffers may be freed by other static destructors.
Arena& TheArena() {
  static Arena* const arena = new Arena;
  return *arena;
}

}  // namespace

void* AllocateSmallBuffer(size_t bytes) {
  if (kSmallBuffersPooled && bytes <= kSmallBufferMax) return TheArena().Allocate(bytes);
  return ::operator new(bytes);
}

void FreeSmallBuffer(void* p, size_t bytes) {
  if (kSmallBuffersPooled && bytes <= kSmallBufferMax) return TheArena().Free(p, bytes);
  ::operator delete(p);  // unsized: clang 14 has no sized deallocation by default
}

}  // namespace strata
