// SampleIterator: the samples of one series in time order, however they
// are stored (head chunks, block chunks, several sources merged), and
// TimedChunk, one encoded chunk with its time range.
//
// Iterators are what the querier hands to PromQL and what compaction reads
// to merge overlapping blocks, so every implementation skips deleted
// ranges (tombstones) and yields each timestamp once.
//
// Thread-safety: an iterator belongs to one thread.
#ifndef STRATA_ENGINE_SAMPLE_ITERATOR_H_
#define STRATA_ENGINE_SAMPLE_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "compression/chunk_encoding.h"
#include "strata/status.h"

namespace strata::engine {

// One encoded chunk and the timestamps of its first and last samples. The
// bytes are borrowed: whoever hands out a TimedChunk says how long they
// stay valid. Intentionally copyable.
struct TimedChunk {
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  compression::ChunkEncoding encoding = compression::ChunkEncoding::kXor;
  std::string_view data;
};

class SampleIterator {
 public:
  SampleIterator() = default;
  SampleIterator(const SampleIterator&) = delete;
  SampleIterator& operator=(const SampleIterator&) = delete;
  virtual ~SampleIterator() = default;

  // Advances to the next sample; false at the end or on error.
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= `t_ms`, staying put if
  // the current one qualifies; false if there is none (or on error).
  virtual bool Seek(int64_t t_ms) = 0;
  // The current sample. REQUIRES: the last Next/Seek returned true.
  virtual int64_t timestamp_ms() const = 0;
  virtual double value() const = 0;
  // OK unless the data was found damaged (DataLoss naming where).
  virtual Status status() const = 0;
};

// An iterator without samples whose status() is `status`: how a source
// that failed to load reports it through the iterator interface.
class ErrorSampleIterator final : public SampleIterator {
 public:
  explicit ErrorSampleIterator(Status status) : status_(std::move(status)) {}
  bool Next() override { return false; }
  bool Seek(int64_t) override { return false; }
  int64_t timestamp_ms() const override { return 0; }
  double value() const override { return 0; }
  Status status() const override { return status_; }

 private:
  Status status_;
};

inline std::unique_ptr<SampleIterator> NewErrorSampleIterator(Status status) {
  return std::make_unique<ErrorSampleIterator>(std::move(status));
}

}  // namespace strata::engine

#endif  // STRATA_ENGINE_SAMPLE_ITERATOR_H_
