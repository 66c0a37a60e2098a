// Decoding of remote read answers for the tests: a SAMPLES ReadResponse
// and a STREAMED_XOR_CHUNKS body (frames checked against their CRC, XOR
// chunks decoded, a series split over consecutive frames joined), both into
// the same shape so that the two answers to one request can be compared.
//
// Thread-safety: stateless functions.
#ifndef STRATA_TESTS_SERVER_REMOTE_READ_ANSWERS_H_
#define STRATA_TESTS_SERVER_REMOTE_READ_ANSWERS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::server::testing {

// One series of an answer. Values as bits, so NaNs compare exactly.
// Intentionally copyable.
struct AnswerSeries {
  int64_t query_index = 0;
  std::string labels;  // name="value",... in the answer's order
  std::vector<int64_t> timestamps_ms;
  std::vector<uint64_t> value_bits;
  friend bool operator==(const AnswerSeries&, const AnswerSeries&) = default;
};

// Decodes an uncompressed ReadResponse. Errors: InvalidArgument.
[[nodiscard]] StatusOr<std::vector<AnswerSeries>> DecodeSamplesAnswer(std::string_view proto);

// What a streamed body held besides its series.
struct StreamStats {
  size_t frames = 0;
  size_t largest_message = 0;  // bytes of the largest ChunkedReadResponse
  size_t largest_frame = 0;    // the same with its length and CRC
  size_t max_series_per_frame = 0;
  size_t split_series = 0;  // series that span more than one frame
};

// Decodes a STREAMED_XOR_CHUNKS body. Errors: InvalidArgument for a bad
// frame, CRC or message; DataLoss for a bad chunk.
[[nodiscard]] StatusOr<std::vector<AnswerSeries>> DecodeStreamedAnswer(std::string_view body,
                                                                       StreamStats* stats);

}  // namespace strata::server::testing

#endif  // STRATA_TESTS_SERVER_REMOTE_READ_ANSWERS_H_
