#include "tests/server/remote_read_answers.h"

#include <algorithm>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "compression/xor_chunk.h"
#include "server/internal/protowire.h"

namespace strata::server::testing {
namespace {

using internal::ProtoReader;

Status Bad(std::string_view what) { return absl::InvalidArgumentError(ToAbsl(what)); }

// Calls `fn(field, wire, bytes_or_empty, varint)` for each field.
template <typename Fn>
Status Fields(std::string_view msg, Fn fn) {
  ProtoReader r(msg);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Bad("bad tag");
    std::string_view bytes;
    uint64_t v = 0;
    if (wire == internal::kLengthDelimited) {
      if (!r.Bytes(&bytes)) return Bad("truncated bytes");
    } else if (wire == internal::kVarint) {
      if (!r.Varint(&v)) return Bad("bad varint");
    } else if (wire == internal::kFixed64) {
      if (!r.Fixed64(&v)) return Bad("bad fixed64");
    } else {
      return Bad(StrCat("unexpected wire type ", wire));
    }
    STRATA_RETURN_IF_ERROR(fn(field, bytes, v));
  }
  return absl::OkStatus();
}

Status AppendLabel(std::string_view label, std::string* out) {
  std::string_view name, value;
  STRATA_RETURN_IF_ERROR(Fields(label, [&](uint32_t f, std::string_view b, uint64_t) {
    (f == 1 ? name : value) = b;
    return absl::OkStatus();
  }));
  if (!out->empty()) out->push_back(',');
  StrAppend(out, name, "=\"", value, "\"");
  return absl::OkStatus();
}

// Decodes a prompb.Chunk (XOR) onto the series' samples.
Status AppendChunk(std::string_view chunk, AnswerSeries* s) {
  std::string_view data;
  int64_t mint = 0, maxt = 0;
  uint64_t encoding = 0;
  STRATA_RETURN_IF_ERROR(Fields(chunk, [&](uint32_t f, std::string_view b, uint64_t v) {
    if (f == 1) mint = static_cast<int64_t>(v);
    if (f == 2) maxt = static_cast<int64_t>(v);
    if (f == 3) encoding = v;
    if (f == 4) data = b;
    return absl::OkStatus();
  }));
  if (encoding != 1) return Bad("chunk is not XOR");
  compression::XorIterator it(data);
  const size_t first = s->timestamps_ms.size();
  while (it.Next()) {
    s->timestamps_ms.push_back(it.timestamp_ms());
    s->value_bits.push_back(it.value_bits());
  }
  STRATA_RETURN_IF_ERROR(it.status());
  if (first == s->timestamps_ms.size() || s->timestamps_ms[first] != mint ||
      s->timestamps_ms.back() != maxt) {
    return Bad("chunk min/max time do not match its samples");
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::vector<AnswerSeries>> DecodeSamplesAnswer(std::string_view proto) {
  std::vector<AnswerSeries> out;
  int64_t query_index = 0;
  STRATA_RETURN_IF_ERROR(Fields(proto, [&](uint32_t f, std::string_view result, uint64_t) {
    if (f != 1) return Bad("ReadResponse: unexpected field");
    STRATA_RETURN_IF_ERROR(Fields(result, [&](uint32_t, std::string_view ts, uint64_t) {
      AnswerSeries s;
      s.query_index = query_index;
      STRATA_RETURN_IF_ERROR(Fields(ts, [&](uint32_t tf, std::string_view b, uint64_t) {
        if (tf == 1) return AppendLabel(b, &s.labels);
        if (tf != 2) return Bad("TimeSeries: unexpected field");
        int64_t t = 0;
        uint64_t bits = 0;
        STRATA_RETURN_IF_ERROR(Fields(b, [&](uint32_t sf, std::string_view, uint64_t v) {
          if (sf == 1) bits = v;
          if (sf == 2) t = static_cast<int64_t>(v);
          return absl::OkStatus();
        }));
        s.timestamps_ms.push_back(t);
        s.value_bits.push_back(bits);
        return absl::OkStatus();
      }));
      out.push_back(std::move(s));
      return absl::OkStatus();
    }));
    ++query_index;
    return absl::OkStatus();
  }));
  return out;
}

StatusOr<std::vector<AnswerSeries>> DecodeStreamedAnswer(std::string_view body,
                                                         StreamStats* stats) {
  std::vector<AnswerSeries> out;
  bool last_was_split_start = false;
  while (!body.empty()) {
    uint64_t n = 0;
    const size_t before = body.size();
    if (!compression::ConsumeUvarint(&body, &n)) return Bad("bad frame length");
    if (body.size() < 4 + n) return Bad("truncated frame");
    uint32_t crc = 0;
    for (int i = 0; i < 4; ++i) crc = (crc << 8) | static_cast<uint8_t>(body[i]);
    const std::string_view msg = body.substr(4, n);
    if (crc != compression::crc32c::Value(msg)) return Bad("frame CRC mismatch");
    body.remove_prefix(4 + n);
    ++stats->frames;
    stats->largest_message = std::max<size_t>(stats->largest_message, n);
    stats->largest_frame = std::max(stats->largest_frame, before - body.size());
    std::vector<AnswerSeries> in_frame;
    int64_t query_index = 0;
    STRATA_RETURN_IF_ERROR(Fields(msg, [&](uint32_t f, std::string_view cs, uint64_t v) {
      if (f == 2) {
        query_index = static_cast<int64_t>(v);
        return absl::OkStatus();
      }
      AnswerSeries s;
      STRATA_RETURN_IF_ERROR(Fields(cs, [&](uint32_t sf, std::string_view b, uint64_t) {
        if (sf == 1) return AppendLabel(b, &s.labels);
        if (sf != 2) return Bad("ChunkedSeries: unexpected field");
        return AppendChunk(b, &s);
      }));
      in_frame.push_back(std::move(s));
      return absl::OkStatus();
    }));
    stats->max_series_per_frame = std::max(stats->max_series_per_frame, in_frame.size());
    for (AnswerSeries& s : in_frame) {
      s.query_index = query_index;
      if (!out.empty() && out.back().labels == s.labels && out.back().query_index == query_index) {
        // The next part of a series split over frames.
        if (!last_was_split_start) ++stats->split_series;
        last_was_split_start = true;
        out.back().timestamps_ms.insert(out.back().timestamps_ms.end(), s.timestamps_ms.begin(),
                                        s.timestamps_ms.end());
        out.back().value_bits.insert(out.back().value_bits.end(), s.value_bits.begin(),
                                     s.value_bits.end());
        continue;
      }
      last_was_split_start = false;
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace strata::server::testing
