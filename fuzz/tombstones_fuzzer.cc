// Decodes arbitrary bytes as a block's tombstones file, directly and
// through ReadTombstones on a MemEnv. Damage must be a DataLoss error that
// says where (and, from ReadTombstones, names the block); what decodes must
// hold sorted, disjoint, non-adjacent intervals per series, answer
// Contains and Covers like a linear scan, and survive an encode/decode
// round trip unchanged.
//
// Each input is read as it is and, if that changes it, once more with its
// checksums recomputed (fuzz/fuzz_util.h), to reach the decoders behind them.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/tombstones.h"
#include "fuzz/fuzz_util.h"
#include "tests/testing/mem_env.h"

namespace {

using strata::engine::Interval;
using strata::engine::Intervals;
using strata::engine::Tombstones;

void CheckIntervals(const Intervals& ivs, int64_t probe) {
  const auto& list = ivs.list();
  if (list.empty()) std::abort();  // a series is listed only with an interval
  bool contains = false, covers = false;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].min_time_ms > list[i].max_time_ms) std::abort();
    // Merged: the next one starts at least two after this one ends.
    if (i > 0 && (list[i - 1].max_time_ms == INT64_MAX ||
                  list[i].min_time_ms <= list[i - 1].max_time_ms + 1)) {
      std::abort();
    }
    contains |= list[i].Contains(probe);
    covers |= probe < INT64_MAX && list[i].min_time_ms <= probe && probe + 1 <= list[i].max_time_ms;
  }
  if (ivs.Contains(probe) != contains) std::abort();
  if (probe < INT64_MAX && ivs.Covers(probe, probe + 1) != covers) std::abort();
}

void Run(const std::string& bytes) {
  auto t = strata::engine::DecodeTombstonesFile(bytes);

  strata::testing::MemEnv env;
  strata::fuzz::PutFile(env, "/b/tombstones", bytes);
  auto read = strata::engine::ReadTombstones(env, "/b");
  if (read.ok() != t.ok()) std::abort();
  if (!t.ok()) {
    if (t.status().code() != absl::StatusCode::kDataLoss ||
        t.status().message().find("tombstones") == std::string_view::npos ||
        read.status().code() != absl::StatusCode::kDataLoss ||
        read.status().message().find("/b") == std::string_view::npos) {
      std::abort();
    }
    return;
  }
  if (!(*read == *t)) std::abort();
  const int64_t probe = static_cast<int64_t>(uint64_t{strata::fuzz::TailWord(bytes, 0)} << 32 |
                                             strata::fuzz::TailWord(bytes, 1));
  uint64_t total = 0;
  for (const auto& [ref, ivs] : t->by_series()) {
    CheckIntervals(ivs, probe);
    CheckIntervals(ivs, ivs.list().front().min_time_ms);
    if (t->Get(ref) != &ivs) std::abort();
    total += ivs.list().size();
  }
  if (total != t->total()) std::abort();
  auto again = strata::engine::DecodeTombstonesFile(strata::engine::EncodeTombstonesFile(*t));
  if (!again.ok() || !(*again == *t)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy so ASan sees the exact bounds.
  std::string bytes(reinterpret_cast<const char*>(data), size);
  Run(bytes);
  if (strata::fuzz::FixTombstonesCrc(&bytes)) Run(bytes);
  return 0;
}
