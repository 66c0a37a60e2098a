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

Status ReadSamples(DB& db, const ReadRequest& request, const RemoteReadLimits& limits,
                   std::string* body) {
  body->clear();
  int64_t total = 0;
  std::string result, series, sample;
  for (const ReadQuery& q : request.queries) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Querier> querier, db.NewQuerier(q.start_ms, q.end_ms));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, querier->Select(q.matchers));
    result.clear();
    while (set->Next()) {
      if (limits.before_series) STRATA_RETURN_IF_ERROR(limits.before_series());
      series.clear();
      AppendLabels(&series, set->labels());
      std::unique_ptr<SeriesIterator> it = set->NewIterator();
      while (it->Next()) {
        // Prometheus' ToQueryResult wording (storage/remote/codec.go).
        if (limits.sample_limit > 0 && ++total > limits.sample_limit) {
          return absl::ResourceExhaustedError(StrCat(
              "exceeded sample limit (", limits.sample_limit,
              "): the remote read selects more samples than --storage.remote.read-sample-limit "
              "allows; narrow its matchers or time range, or read STREAMED_XOR_CHUNKS"));
        }
        sample.clear();
        internal::PutDouble(&sample, 1, it->value());
        internal::PutInt64(&sample, 2, it->timestamp_ms());
        internal::PutBytes(&series, 2, sample);
      }
      STRATA_RETURN_IF_ERROR(it->status());
      internal::PutBytes(&result, 1, series);
    }
    STRATA_RETURN_IF_ERROR(set->status());
    internal::PutBytes(body, 1, result);
  }
  return absl::OkStatus();
}

namespace {

// Builds the frames of one series: chunks are added one at a time and a
// frame goes to the sink whenever the next chunk would not fit.
class FrameWriter {
 public:
  FrameWriter(const ChunkCodec& codec, size_t max_bytes, const FrameSink& sink)
      : codec_(codec), max_bytes_(max_bytes), sink_(sink) {}

  void StartSeries(const Labels& labels, int64_t query_index) {
    labels_.clear();
    AppendLabels(&labels_, labels);
    query_index_ = query_index;
    series_ = labels_;
    chunks_ = 0;
  }

  // Encodes the samples as one XOR chunk of the current series.
  Status AddChunk(std::span<const int64_t> ts, std::span<const double> vs) {
    chunk_.clear();
    STRATA_RETURN_IF_ERROR(codec_.encode_xor(ts, vs, &chunk_));
    chunk_msg_.clear();
    internal::PutInt64(&chunk_msg_, 1, ts.front());
    internal::PutInt64(&chunk_msg_, 2, ts.back());
    internal::PutInt64(&chunk_msg_, 3, 1);  // Chunk.Encoding XOR
    internal::PutBytes(&chunk_msg_, 4, chunk_);
    // The message is field 1 (tag, length, series) and field 2 (tag,
    // query index): at most 1 + 10 + 1 + 10 bytes around the series.
    constexpr size_t kEnvelope = 22;
    const size_t entry = 1 + 10 + chunk_msg_.size();
    if (chunks_ > 0 && series_.size() + entry + kEnvelope > max_bytes_) {
      STRATA_RETURN_IF_ERROR(Flush());
    }
    internal::PutBytes(&series_, 2, chunk_msg_);
    ++chunks_;
    return absl::OkStatus();
  }

  // Sends what the current frame holds, if anything.
  Status Flush() {
    if (chunks_ == 0) return absl::OkStatus();
    message_.clear();
    internal::PutBytes(&message_, 1, series_);
    internal::PutInt64(&message_, 2, query_index_);
    frame_.clear();
    AppendFrame(codec_, message_, &frame_);
    series_ = labels_;
    chunks_ = 0;
    return sink_(frame_);
  }

 private:
  const ChunkCodec& codec_;
  const size_t max_bytes_;
  const FrameSink& sink_;
  std::string labels_;  // the series' encoded labels, repeated in each of its frames
  int64_t query_index_ = 0;
  std::string series_;  // ChunkedSeries being filled
  size_t chunks_ = 0;   // chunks in series_
  std::string chunk_, chunk_msg_, message_, frame_;
};

}  // namespace

Status StreamXorChunks(DB& db, const ReadRequest& request, const ChunkCodec& codec,
                       const RemoteReadLimits& limits, const FrameSink& sink) {
  FrameWriter writer(codec, limits.max_bytes_in_frame, sink);
  std::vector<int64_t> ts;
  std::vector<double> vs;
  ts.reserve(kSamplesPerChunk);
  vs.reserve(kSamplesPerChunk);
  for (size_t qi = 0; qi < request.queries.size(); ++qi) {
    const ReadQuery& q = request.queries[qi];
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Querier> querier, db.NewQuerier(q.start_ms, q.end_ms));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, querier->Select(q.matchers));
    while (set->Next()) {
      if (limits.before_series) STRATA_RETURN_IF_ERROR(limits.before_series());
      writer.StartSeries(set->labels(), static_cast<int64_t>(qi));
      std::unique_ptr<SeriesIterator> it = set->NewIterator();
      ts.clear();
      vs.clear();
      while (it->Next()) {
        ts.push_back(it->timestamp_ms());
        vs.push_back(it->value());
        if (ts.size() < kSamplesPerChunk) continue;
        STRATA_RETURN_IF_ERROR(writer.AddChunk(ts, vs));
        ts.clear();
        vs.clear();
      }
      STRATA_RETURN_IF_ERROR(it->status());
      if (!ts.empty()) STRATA_RETURN_IF_ERROR(writer.AddChunk(ts, vs));
      STRATA_RETURN_IF_ERROR(writer.Flush());
    }
    STRATA_RETURN_IF_ERROR(set->status());
  }
  return absl::OkStatus();
}

Status ExecuteRemoteRead(DB& db, const ReadRequest& request, ReadResponseType type,
                         const ChunkCodec* codec, const RemoteReadLimits& limits,
                         std::string* body) {
  body->clear();
  if (type != ReadResponseType::kStreamedXorChunks || codec == nullptr) {
    return ReadSamples(db, request, limits, body);
  }
  return StreamXorChunks(db, request, *codec, limits, [body](std::string_view frame) {
    body->append(frame);
    return absl::OkStatus();
  });
}

}  // namespace strata::server
