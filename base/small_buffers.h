// Memory for byte buffers that exist by the million: the open chunk of
// every series in the head, ~200 bytes each.
//
// From malloc, a million such buffers lie in 4 KiB pages all over the heap,
// and an append to each in turn (a scrape, a remote-write request) costs a
// TLB miss per buffer on top of the cache miss. Here they are carved from
// 2 MiB slabs backed by transparent huge pages where the kernel has them,
// in sizes of 16-byte steps up to kSmallBufferMax, each size with a free
// list; larger buffers come from operator new.
//
// Slabs are never given back to the system: a freed buffer waits in its
// size's free list for the next buffer of that size, and serves nothing
// else. So the sizes stop at 256 bytes: the few larger chunks (values of
// high entropy) grow through several sizes, and each would stay behind
// (bench/engine_memory measured 55 B per series of such leftovers with
// sizes up to 1 KiB); malloc reuses those for anything.
//
// Built with AddressSanitizer, every buffer comes from operator new so
// overruns are still caught.
//
// Thread-safety: every function may be called from any thread.
#ifndef STRATA_BASE_SMALL_BUFFERS_H_
#define STRATA_BASE_SMALL_BUFFERS_H_

#include <cstddef>

namespace strata {

inline constexpr size_t kSmallBufferMax = 256;

// Whether buffers up to kSmallBufferMax come from the slabs: not when
// built with AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSmallBuffersPooled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSmallBuffersPooled = false;
#else
inline constexpr bool kSmallBuffersPooled = true;
#endif
#else
inline constexpr bool kSmallBuffersPooled = true;
#endif

// The capacity a buffer of at least `n` bytes gets: `n` rounded up to a
// multiple of 16 bytes (not rounded above kSmallBufferMax). REQUIRES: n > 0.
constexpr size_t SmallBufferSize(size_t n) {
  return n > kSmallBufferMax ? n : (n + 15) & ~size_t{15};
}

// `bytes` of uninitialised memory, aligned to 16 bytes. REQUIRES: bytes ==
// SmallBufferSize(bytes).
void* AllocateSmallBuffer(size_t bytes);
// Gives back a buffer from AllocateSmallBuffer(bytes).
void FreeSmallBuffer(void* p, size_t bytes);

// `bytes` (a multiple of 2 MiB) aligned to 2 MiB, advised to the kernel as
// huge-page memory (a hint, THP "madvise" mode being Debian's default).
// Freed with FreeHugePageSlab(p).
void* AllocateHugePageSlab(size_t bytes);
void FreeHugePageSlab(void* p);
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

}  // namespace strata

#endif  // STRATA_BASE_SMALL_BUFFERS_H_
