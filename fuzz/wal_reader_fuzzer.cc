// Reads arbitrary bytes as a WAL segment: framing, checksums, reassembly,
// snappy and every record decoder must never crash or read outside the
// buffer, and the records that do come out must survive a write/read round
// trip through the Writer unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/mem_env.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/segment_reader.h"
#include "wal/writer.h"

namespace {

using namespace strata::wal;  // a fuzz target, not a header

void DecodeAll(std::string_view rec) {
  std::vector<RefSeries> series;
  std::vector<RefSample> samples;
  std::vector<Tombstone> tombstones;
  std::vector<RefExemplar> exemplars;
  std::vector<RefMetadata> metadata;
  // Errors are expected on arbitrary input; only crashes matter here.
  switch (GetRecordType(rec)) {
    case RecordType::kSeries:
      DecodeSeries(rec, &series).IgnoreError();
      break;
    case RecordType::kSamples:
      DecodeSamples(rec, &samples).IgnoreError();
      break;
    case RecordType::kTombstones:
      DecodeTombstones(rec, &tombstones).IgnoreError();
      break;
    case RecordType::kExemplars:
      DecodeExemplars(rec, &exemplars).IgnoreError();
      break;
    case RecordType::kMetadata:
      DecodeMetadata(rec, &metadata).IgnoreError();
      break;
    default:
      break;
  }
}

// Writes `records` with a Writer and checks a replay returns them.
void CheckRoundTrip(const std::vector<std::string>& records) {
  strata::testing::MemEnv env;
  WriterOptions options;
  options.sync_policy = SyncPolicy::kNever;
  options.compress = records.size() % 2 == 1;
  auto w = Writer::Open(env, "/wal", options);
  if (!w.ok()) std::abort();
  std::vector<std::string_view> views(records.begin(), records.end());
  if (!(*w)->Log(views).ok() || !(*w)->Close().ok()) std::abort();
  std::vector<std::string> back;
  ReplayStats stats;
  strata::Status s = Replay(
      env, "/wal", {},
      [&](std::string_view r) {
        back.emplace_back(r);
        return absl::OkStatus();
      },
      &stats);
  size_t known = 0;
  for (const auto& r : records) known += GetRecordType(r) != RecordType::kUnknown;
  if (!s.ok() || back.size() != known || stats.unknown_records != records.size() - known)
    std::abort();
  size_t k = 0;
  for (const auto& r : records) {
    if (GetRecordType(r) != RecordType::kUnknown && back[k++] != r) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy so ASan sees the exact bounds.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  SegmentReader reader(bytes, "fuzz");
  std::vector<std::string> records;
  size_t total = 0;
  while (reader.Next()) {
    if (reader.record_offset() >= bytes.size() || reader.end_offset() > bytes.size()) std::abort();
    DecodeAll(reader.record());
    total += reader.record().size();
    records.emplace_back(reader.record());
  }
  if (reader.end_offset() > bytes.size()) std::abort();
  if (reader.torn() && reader.status().ok()) std::abort();  // torn must be an error
  if (!records.empty() && total < (1 << 20)) CheckRoundTrip(records);
  return 0;
}
