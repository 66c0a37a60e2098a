// Prometheus remote read (prompb/remote.proto): decoding a ReadRequest and
// answering it from a DB, either as one snappy-compressed ReadResponse of
// raw samples (SAMPLES) or as a stream of framed ChunkedReadResponse
// messages holding XOR chunks (STREAMED_XOR_CHUNKS), whichever comes first
// in the request's accepted_response_types that Strata supports.
//
//   ReadRequest  { repeated Query queries = 1;
//                  repeated ResponseType accepted_response_types = 2; }
//   Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
//                  repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
//   LabelMatcher { Type type = 1 (EQ, NEQ, RE, NRE); string name = 2;
//                  string value = 3; }
//   ReadResponse { repeated QueryResult results = 1; }
//   QueryResult  { repeated TimeSeries timeseries = 1; }
//   ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1;
//                         int64 query_index = 2; }
//   ChunkedSeries { repeated Label labels = 1; repeated Chunk chunks = 2; }
//   Chunk        { int64 min_time_ms = 1; int64 max_time_ms = 2;
//                  Encoding type = 3 (XOR = 1); bytes data = 4; }
// A stream frame is: uvarint length of the message, its CRC-32C
// (Castagnoli) as 4 big-endian bytes, the message (storage/remote/
// chunked.go).
//
// server/ may not use compression/ (STYLE.md §1), so the XOR encoder and
// the CRC come from the embedder as a ChunkCodec (tools/serve.cc wires in
// compression/); without one, STREAMED_XOR_CHUNKS is not offered and the
// answer is SAMPLES, which Prometheus accepts.
//
// Thread-safety: stateless functions; a ChunkCodec must be thread-safe.
#ifndef STRATA_SERVER_REMOTE_READ_H_
#define STRATA_SERVER_REMOTE_READ_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/db.h"
#include "strata/status.h"

namespace strata::server {

enum class ReadResponseType { kSamples = 0, kStreamedXorChunks = 1 };

struct ReadQuery {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::vector<LabelMatcher> matchers;
};

struct ReadRequest {
  std::vector<ReadQuery> queries;
  std::vector<int> accepted_response_types;  // as sent, unknown values kept
};

// Decodes an uncompressed ReadRequest. Errors: InvalidArgument naming the
// byte offset and what was wrong.
[[nodiscard]] StatusOr<ReadRequest> DecodeReadRequest(std::string_view proto);

// Encodes a ReadRequest (the inverse of DecodeReadRequest; for tests and
// clients).
std::string EncodeReadRequest(const ReadRequest& request);

struct ChunkCodec {
  // Encodes samples (time order, unique timestamps) as one XOR chunk.
  std::function<Status(std::span<const int64_t> timestamps_ms, std::span<const double> values,
                       std::string* out)>
      encode_xor;
  std::function<uint32_t(std::string_view)> crc32c;
};

// The response type to use: the first accepted one Strata can produce
// (SAMPLES if the list is empty, as in Prometheus).
ReadResponseType NegotiateReadResponseType(const ReadRequest& request, bool have_codec);

// Limits of one remote read. Intentionally copyable.
struct RemoteReadLimits {
  // SAMPLES: at most this many samples in the whole answer (it is built in
  // memory); 0 means no limit. Prometheus' --storage.remote.read-sample-
  // limit (which counts per query; this counts per request, the unit of
  // memory).
  int64_t sample_limit = 50'000'000;
  // STREAMED_XOR_CHUNKS: the largest ChunkedReadResponse message of a
  // frame, in bytes (--storage.remote.read-max-bytes-in-frame). A frame
  // holds chunks of one series; a series that does not fit is split over
  // several frames by whole chunks. Only a single chunk with its series'
  // labels that is larger than this makes a larger frame.
  size_t max_bytes_in_frame = 1 << 20;
  // Called before each series is read; a non-OK result stops the read and
  // is returned (the request's deadline and series cap). May be empty.
  std::function<Status()> before_series;
};

// Answers `request` as SAMPLES: `*body` receives the uncompressed
// ReadResponse. Errors: those of the querier and of before_series;
// ResourceExhausted "exceeded sample limit (N): ..." past
// limits.sample_limit.
[[nodiscard]] Status ReadSamples(DB& db, const ReadRequest& request, const RemoteReadLimits& limits,
                                 std::string* body);

// Receives one frame of a STREAMED_XOR_CHUNKS answer (uvarint length,
// CRC-32C, message); `frame` is valid only during the call. A non-OK result
// stops the read and is returned.
using FrameSink = std::function<Status(std::string_view frame)>;

// Answers `request` as STREAMED_XOR_CHUNKS, handing each frame to `sink`
// as soon as it is complete, so memory stays bounded by one frame (plus
// one chunk's samples) whatever the selection. Frames follow Prometheus'
// StreamChunkedReadResponses (storage/remote/codec.go): series in the
// querier's order, one series per frame (Prometheus' own streamed client
// reads only the first series of a frame), chunks of at most 120 samples.
// Errors: those of the querier, of before_series and of the sink.
[[nodiscard]] Status StreamXorChunks(DB& db, const ReadRequest& request, const ChunkCodec& codec,
                                     const RemoteReadLimits& limits, const FrameSink& sink);

// Runs the queries into one string: the uncompressed ReadResponse for
// SAMPLES, the concatenated frames for STREAMED_XOR_CHUNKS (for in-process
// callers and tests; the server streams). Errors: as above.
[[nodiscard]] Status ExecuteRemoteRead(DB& db, const ReadRequest& request, ReadResponseType type,
                                       const ChunkCodec* codec, const RemoteReadLimits& limits,
                                       std::string* body);

}  // namespace strata::server

#endif  // STRATA_SERVER_REMOTE_READ_H_
