#include "server/remote_read.h"

#include <cstring>

#include "base/status_macros.h"
#include "base/strings.h"
#include "server/internal/protowire.h"

namespace strata::server {
namespace {

using internal::ProtoReader;

Status Damaged(size_t offset, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("remote read request offset ", offset, ": ", what));
}

Status DecodeMatcher(std::string_view data, size_t base, LabelMatcher* m) {
  ProtoReader r(data);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Damaged(base + r.pos(), "bad field tag in LabelMatcher");
    if (field == 1 && wire == internal::kVarint) {
      uint64_t t = 0;
      if (!r.Varint(&t)) return Damaged(base + r.pos(), "bad matcher type");
      if (t > 3) return Damaged(base + r.pos(), StrCat("unknown matcher type ", t));
      m->type = static_cast<LabelMatcher::Type>(t);
    } else if ((field == 2 || field == 3) && wire == internal::kLengthDelimited) {
      std::string_view s;
      if (!r.Bytes(&s)) return Damaged(base + r.pos(), "truncated matcher string");
      (field == 2 ? m->name : m->value) = std::string(s);
    } else if (!r.Skip(wire)) {
      return Damaged(base + r.pos(), "truncated field in LabelMatcher");
    }
  }
  return absl::OkStatus();
}

Status DecodeQuery(std::string_view data, size_t base, ReadQuery* q) {
  ProtoReader r(data);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Damaged(base + r.pos(), "bad field tag in Query");
    if ((field == 1 || field == 2) && wire == internal::kVarint) {
      uint64_t v = 0;
      if (!r.Varint(&v)) return Damaged(base + r.pos(), "bad timestamp");
      (field == 1 ? q->start_ms : q->end_ms) = static_cast<int64_t>(v);
    } else if (field == 3 && wire == internal::kLengthDelimited) {
      const size_t at = base + r.pos();
      std::string_view s;
      if (!r.Bytes(&s)) return Damaged(at, "truncated LabelMatcher");
      LabelMatcher m;
      STRATA_RETURN_IF_ERROR(DecodeMatcher(s, base + r.pos() - s.size(), &m));
      q->matchers.push_back(std::move(m));
    } else if (!r.Skip(wire)) {
      return Damaged(base + r.pos(), "truncated field in Query");
    }
  }
  return absl::OkStatus();
}

void AppendLabels(std::string* dst, const Labels& labels) {
  std::string label;
  for (const Label& l : labels) {
    label.clear();
    internal::PutBytes(&label, 1, l.name);
    internal::PutBytes(&label, 2, l.value);
    internal::PutBytes(dst, 1, label);
  }
}

void AppendFrame(const ChunkCodec& codec, std::string_view message, std::string* out) {
  internal::PutVarint(out, message.size());
  const uint32_t crc = codec.crc32c(message);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(crc >> shift));
  out->append(message);
}

// Prometheus' remote read cuts chunks at 120 samples, like the head.
constexpr size_t kSamplesPerChunk = 120;

}  // namespace

StatusOr<ReadRequest> DecodeReadRequest(std::string_view proto) {
  ReadRequest req;
  ProtoReader r(proto);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Damaged(r.pos(), "bad field tag in ReadRequest");
    if (field == 1 && wire == internal::kLengthDelimited) {
      std::string_view s;
      if (!r.Bytes(&s)) return Damaged(r.pos(), "truncated Query");
      ReadQuery q;
      STRATA_RETURN_IF_ERROR(DecodeQuery(s, r.pos() - s.size(), &q));
      req.queries.push_back(std::move(q));
    } else if (field == 2 && wire == internal::kVarint) {
      uint64_t t = 0;
      if (!r.Varint(&t)) return Damaged(r.pos(), "bad response type");
      req.accepted_response_types.push_back(static_cast<int>(t & 0x7fffffff));
    } else if (field == 2 && wire == internal::kLengthDelimited) {  // packed
      std::string_view s;
      if (!r.Bytes(&s)) return Damaged(r.pos(), "truncated response types");
      ProtoReader p(s);
      while (!p.done()) {
        uint64_t t = 0;
        if (!p.Varint(&t)) return Damaged(r.pos(), "bad packed response type");
        req.accepted_response_types.push_back(static_cast<int>(t & 0x7fffffff));
      }
    } else if (!r.Skip(wire)) {
      return Damaged(r.pos(), "truncated field in ReadRequest");
    }
  }
  return req;
}

std::string EncodeReadRequest(const ReadRequest& request) {
  std::string out, query, matcher;
  for (const ReadQuery& q : request.queries) {
    query.clear();
    internal::PutInt64(&query, 1, q.start_ms);
    internal::PutInt64(&query, 2, q.end_ms);
    for (const LabelMatcher& m : q.matchers) {
      matcher.clear();
      internal::PutInt64(&matcher, 1, static_cast<int64_t>(m.type));
      internal::PutBytes(&matcher, 2, m.name);
      internal::PutBytes(&matcher, 3, m.value);
      internal::PutBytes(&query, 3, matcher);
    }
    internal::PutBytes(&out, 1, query);
  }
  for (int t : request.accepted_response_types) internal::PutInt64(&out, 2, t);
  return out;
}

ReadResponseType NegotiateReadResponseType(const ReadRequest& request, bool have_codec) {
  for (int t : request.accepted_response_types) {
    if (t == static_cast<int>(ReadResponseType::kSamples)) return ReadResponseType::kSamples;
    if (t == static_cast<int>(ReadResponseType::kStreamedXorChunks) && have_codec) {
      return ReadResponseType::kStreamedXorChunks;
    }
  }
  return ReadResponseType::kSamples;
}

Status ExecuteRemoteRead(DB& db, const ReadRequest& request, ReadResponseType type,
                         const ChunkCodec* codec, int64_t max_samples, std::string* body) {
  body->clear();
  const bool streamed = type == ReadResponseType::kStreamedXorChunks && codec != nullptr;
  int64_t total = 0;
  std::string result, series, samples, chunk, message, chunk_msg;
  std::vector<int64_t> ts;
  std::vector<double> vs;
  for (size_t qi = 0; qi < request.queries.size(); ++qi) {
    const ReadQuery& q = request.queries[qi];
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Querier> querier, db.NewQuerier(q.start_ms, q.end_ms));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, querier->Select(q.matchers));
    result.clear();
    while (set->Next()) {
      std::unique_ptr<SeriesIterator> it = set->NewIterator();
      ts.clear();
      vs.clear();
      while (it->Next()) {
        ts.push_back(it->timestamp_ms());
        vs.push_back(it->value());
      }
      STRATA_RETURN_IF_ERROR(it->status());
      total += static_cast<int64_t>(ts.size());
      if (max_samples > 0 && total > max_samples) {
        return absl::ResourceExhaustedError(StrCat("remote read would return more than ",
                                                   max_samples, " samples (--query.max-samples)"));
      }
      series.clear();
      AppendLabels(&series, set->labels());
      if (!streamed) {
        for (size_t i = 0; i < ts.size(); ++i) {
          samples.clear();
          internal::PutDouble(&samples, 1, vs[i]);
          internal::PutInt64(&samples, 2, ts[i]);
          internal::PutBytes(&series, 2, samples);
        }
        internal::PutBytes(&result, 1, series);
        continue;
      }
      for (size_t i = 0; i < ts.size(); i += kSamplesPerChunk) {
        const size_t n = std::min(kSamplesPerChunk, ts.size() - i);
        chunk.clear();
        STRATA_RETURN_IF_ERROR(codec->encode_xor(std::span<const int64_t>(ts).subspan(i, n),
                                                 std::span<const double>(vs).subspan(i, n),
                                                 &chunk));
        chunk_msg.clear();
        internal::PutInt64(&chunk_msg, 1, ts[i]);
        internal::PutInt64(&chunk_msg, 2, ts[i + n - 1]);
        internal::PutInt64(&chunk_msg, 3, 1);  // XOR
        internal::PutBytes(&chunk_msg, 4, chunk);
        internal::PutBytes(&series, 2, chunk_msg);
      }
      message.clear();
      internal::PutBytes(&message, 1, series);
      internal::PutInt64(&message, 2, static_cast<int64_t>(qi));
      AppendFrame(*codec, message, body);
    }
    STRATA_RETURN_IF_ERROR(set->status());
    if (!streamed) internal::PutBytes(body, 1, result);
  }
  return absl::OkStatus();
}

}  // namespace strata::server
