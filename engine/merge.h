// Sample iterators that read a series out of its chunks and merge several
// sources of one series, and the encoder that cuts a sample stream back
// into XOR chunks. The querier uses them to read head + blocks as one
// series; compaction uses them to rewrite overlapping blocks.
//
// Semantics follow Prometheus 2.42:
//  - a series' chunks may overlap (out-of-order appends, overlapping
//    blocks); overlapping chunks are merged and each timestamp is yielded
//    once (storage/merge.go chainSampleIterator), from the earliest chunk
//    (or iterator) in the input; Prometheus leaves the winner among equal
//    timestamps to its heap order;
//  - deleted ranges (tombstones) and samples outside the queried range are
//    skipped (tsdb/querier.go populateWithDelGenericSeriesIterator);
//  - EncodeChunks cuts chunks of at most 120 samples, like the compactor's
//    re-encoding of overlapping chunks (storage/series.go
//    seriesToChunkEncoder), and at chunk-range boundaries like the head
//    (tsdb/head_append.go).
// Float values are copied as bit patterns, so NaN payloads such as the
// staleness marker 0x7ff0000000000002 survive bit-exactly.
//
// Thread-safety: every iterator belongs to one thread; the free functions
// are thread-safe.
#ifndef STRATA_ENGINE_MERGE_H_
#define STRATA_ENGINE_MERGE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/sample_iterator.h"
#include "engine/tombstones.h"
#include "strata/status.h"

namespace strata::engine {

// Samples per chunk at which the head and the compactor cut a new chunk
// (Prometheus tsdb/head_append.go samplesPerChunk, storage/series.go
// seriesToChunkEncoderSplit).
inline constexpr int kSamplesPerChunk = 120;

// Iterates the samples of one series stored as `chunks`, ordered by
// min_time_ms (ties keep their order; an unsorted list is sorted stably).
// Chunks may overlap; overlapping ones are merged with a k-way merge and an
// equal timestamp is yielded once, from the earliest chunk in the list.
// Non-overlapping chunks are decoded one at a time in batches; Seek skips
// whole chunks by their max_time_ms. Samples inside `deleted` (may be null)
// and outside the closed range [min_time_ms, max_time_ms] are skipped.
//
// Chunks are read through the chunk interface (compression/chunk.h), so
// any registered encoding works. A chunk in range whose encoding has no
// implementation makes the iterator yield nothing, and bytes that do not
// decode end the iteration where they are met; either way status() is
// DataLoss naming the chunk (and the encoding byte). Samples are
// yielded in strictly increasing time order even if a damaged chunk's
// timestamps are not (later samples that do not advance are dropped).
//
// The chunk bytes and `*deleted` must outlive the iterator.
std::unique_ptr<SampleIterator> NewChunkSampleIterator(std::vector<TimedChunk> chunks,
                                                       const Intervals* deleted,
                                                       int64_t min_time_ms, int64_t max_time_ms);

// The closed time range an input's samples lie in.
struct TimeRange {
  int64_t min_time_ms = INT64_MAX;  // the default is empty
  int64_t max_time_ms = INT64_MIN;
  // Widens the range to cover [min, max].
  void Extend(int64_t min, int64_t max) {
    min_time_ms = std::min(min_time_ms, min);
    max_time_ms = std::max(max_time_ms, max);
  }
};

// A k-way merge of iterators over the same series from different sources
// (blocks, head), each in time order. Each timestamp is yielded once, with
// the value of the earliest iterator in `its` that has it. The first error
// of any input ends the iteration and is status(); unlike Prometheus'
// chainSampleIterator, which drops the failing input and carries on, the
// caller never sees a partial series without an error.
//
// `ranges`, if given, holds each input's time range (one per input). When
// they are disjoint and in order, as a series' blocks and then the head
// usually are, the inputs are read one after another: the same samples,
// without a heap step per sample.
std::unique_ptr<SampleIterator> NewMergeSampleIterator(
    std::vector<std::unique_ptr<SampleIterator>> its, std::span<const TimeRange> ranges = {});

// An iterator over the samples (`ts`[i], `vs`[i]).
// REQUIRES: ts.size() == vs.size() (extra elements of the longer one are
// ignored); `ts` strictly increasing.
std::unique_ptr<SampleIterator> NewVectorSampleIterator(std::vector<int64_t> ts,
                                                        std::vector<double> vs);

// One chunk produced by EncodeChunks. Intentionally copyable.
struct EncodedChunk {
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;  // inclusive: the last sample's timestamp
  compression::ChunkEncoding encoding = compression::ChunkEncoding::kXor;
  std::string data;
};

// Re-encodes all remaining samples of `it` into XOR chunks appended to
// `*out`. A chunk is cut after kSamplesPerChunk samples and, when
// `chunk_range_ms` > 0, before the first sample at or after the next
// multiple of `chunk_range_ms` (floored, so negative timestamps align the
// same way), so no chunk crosses a block boundary. Returns it.status(), or
// InvalidArgument if `it` yields a timestamp that does not increase; on an
// error `*out` may already hold some chunks, which the caller discards.
//
// Differences from Prometheus: the compactor's re-encoder cuts only by
// count (its chunks already lie within one block); the head cuts at
// chunk-range boundaries too, but with Go's truncating division (so before
// 1970 it aligns differently), and it aims at 120 samples by predicting a
// cut time that spreads samples evenly over the range (computeChunkEndTime)
// with a hard cap of 240. Readers do not depend on where chunks are cut.
[[nodiscard]] Status EncodeChunks(SampleIterator& it, int64_t chunk_range_ms,
                                  std::vector<EncodedChunk>* out);

// Whether any two of `chunks` (sorted by min_time_ms) share a moment of
// time: a chunk starts at or before the largest max_time_ms before it.
bool ChunksOverlap(std::span<const TimedChunk> chunks);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_MERGE_H_
