#include "engine/tombstones.h"

#include <algorithm>
#include <limits>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "engine/filenames.h"

namespace strata::engine {

void Intervals::Add(Interval iv) {
  if (iv.min_time_ms > iv.max_time_ms) return;  // empty: see the header
  // First interval that ends at or after iv.min - 1 (touching counts), and
  // the first that starts after iv.max + 1; everything between merges.
  const auto lo =
      iv.min_time_ms == std::numeric_limits<int64_t>::min()
          ? list_.begin()
          : std::lower_bound(list_.begin(), list_.end(), iv.min_time_ms - 1,
                             [](const Interval& x, int64_t t) { return x.max_time_ms < t; });
  const auto hi =
      iv.max_time_ms == std::numeric_limits<int64_t>::max()
          ? list_.end()
          : std::upper_bound(lo, list_.end(), iv.max_time_ms + 1,
                             [](int64_t t, const Interval& x) { return t < x.min_time_ms; });
  if (lo == hi) {
    list_.insert(lo, iv);
    return;
  }
  Interval merged{std::min(iv.min_time_ms, lo->min_time_ms),
                  std::max(iv.max_time_ms, (hi - 1)->max_time_ms)};
  *lo = merged;
  list_.erase(lo + 1, hi);
}

bool Intervals::Covers(int64_t min_time_ms, int64_t max_time_ms) const {
  // Intervals are merged, so a covered range lies inside a single one.
  for (const Interval& iv : list_) {
    if (iv.min_time_ms <= min_time_ms && max_time_ms <= iv.max_time_ms) return true;
  }
  return false;
}

bool Intervals::Contains(int64_t t) const {
  auto it = std::lower_bound(list_.begin(), list_.end(), t,
                             [](const Interval& x, int64_t v) { return x.max_time_ms < v; });
  return it != list_.end() && it->min_time_ms <= t;
}

const Intervals* Tombstones::Get(uint64_t series_ref) const {
  auto it = by_series_.find(series_ref);
  return it == by_series_.end() ? nullptr : &it->second;
}

uint64_t Tombstones::total() const {
  uint64_t n = 0;
  for (const auto& [ref, ivs] : by_series_) n += ivs.list().size();
  return n;
}

std::string EncodeTombstonesFile(const Tombstones& t) {
  std::string out;
  compression::PutBE32(&out, kTombstonesMagic);
  out.push_back(static_cast<char>(kTombstonesVersion));
  const size_t body = out.size();
  for (const auto& [ref, ivs] : t.by_series()) {
    for (const Interval& iv : ivs.list()) {
      compression::PutUvarint(&out, ref);
      compression::PutVarint(&out, iv.min_time_ms);
      compression::PutVarint(&out, iv.max_time_ms);
    }
  }
  compression::PutBE32(&out, compression::crc32c::Value(std::string_view(out).substr(body)));
  return out;
}

StatusOr<Tombstones> DecodeTombstonesFile(std::string_view bytes) {
  constexpr size_t kHeader = 5, kCrc = 4;
  if (bytes.size() < kHeader + kCrc) {
    return absl::DataLossError(
        StrCat("tombstones: ", bytes.size(), " bytes, shorter than ", kHeader + kCrc));
  }
  if (const uint32_t magic = compression::LoadBE32(bytes.data()); magic != kTombstonesMagic) {
    return absl::DataLossError(
        StrCat("tombstones offset 0: invalid magic number ", absl::Hex(magic)));
  }
  if (bytes[4] != kTombstonesVersion) {
    return absl::DataLossError(
        StrCat("tombstones offset 4: unknown version ", static_cast<int>(bytes[4])));
  }
  std::string_view body = bytes.substr(kHeader, bytes.size() - kHeader - kCrc);
  const uint32_t want = compression::LoadBE32(bytes.data() + bytes.size() - kCrc);
  if (compression::crc32c::Value(body) != want) {
    return absl::DataLossError(
        StrCat("tombstones offset ", bytes.size() - kCrc, ": checksum mismatch"));
  }
  Tombstones t;
  while (!body.empty()) {
    const size_t offset = bytes.size() - kCrc - body.size();
    uint64_t ref;
    int64_t mint, maxt;
    if (!compression::ConsumeUvarint(&body, &ref) || !compression::ConsumeVarint(&body, &mint) ||
        !compression::ConsumeVarint(&body, &maxt)) {
      return absl::DataLossError(StrCat("tombstones offset ", offset, ": truncated tombstone"));
    }
    t.Add(ref, {mint, maxt});
  }
  return t;
}

StatusOr<Tombstones> ReadTombstones(Env& env, const std::string& block_dir) {
  const std::string path = JoinPath(block_dir, kBlockTombstonesFile);
  StatusOr<std::string> bytes = ReadFileToString(env, path);
  if (absl::IsNotFound(bytes.status())) return Tombstones();
  if (!bytes.ok()) return bytes.status();
  StatusOr<Tombstones> t = DecodeTombstonesFile(*bytes);
  if (!t.ok()) return Annotate(t.status(), block_dir);
  return t;
}

Status WriteTombstones(Env& env, const std::string& block_dir, const Tombstones& t) {
  return WriteFileAtomic(env, JoinPath(block_dir, kBlockTombstonesFile), EncodeTombstonesFile(t));
}

}  // namespace strata::engine
