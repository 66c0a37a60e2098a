// Remote write 1.0 and remote read (DESIGN.md §4, §6).
#include "base/status_macros.h"
#include "base/strings.h"
#include "server/api.h"
#include "server/internal/api_util.h"
#include "snappy.h"

namespace strata::server {
namespace {

// At most this many bytes of each name and value go into an error message.
constexpr size_t kMaxShownBytes = 100;

std::string Shown(std::string_view s) {
  if (s.size() <= kMaxShownBytes) return std::string(s);
  return StrCat(s.substr(0, kMaxShownBytes), "...(", s.size(), " bytes)");
}

std::string SeriesString(std::span<const LabelView> labels) {
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) s.append(", ");
    StrAppend(&s, Shown(labels[i].name), "=\"", Shown(labels[i].value), "\"");
  }
  s.push_back('}');
  return s;
}

// What the engine accepts but a remote-write series must not be. (Empty
// and repeated names, and unsorted labels, are the engine's to handle.)
// Sets `*reason` (for strata_remote_write_refused_total) on an error.
Status CheckSeries(std::span<const LabelView> labels, const WriteLimits& limits,
                   std::string_view* reason) {
  bool named = false;
  for (const LabelView& l : labels) {
    if (l.name == "__name__" && !l.value.empty()) named = true;
    if (limits.max_label_name_bytes != 0 && l.name.size() > limits.max_label_name_bytes) {
      *reason = "label_name_too_long";
      return absl::InvalidArgumentError(
          StrCat("label name of ", l.name.size(), " bytes is longer than the limit of ",
                 limits.max_label_name_bytes, " (--web.max-label-name-bytes)"));
    }
    if (limits.max_label_value_bytes != 0 && l.value.size() > limits.max_label_value_bytes) {
      *reason = "label_value_too_long";
      return absl::InvalidArgumentError(StrCat(
          "label ", Shown(l.name), " has a value of ", l.value.size(), " bytes, over the limit of ",
          limits.max_label_value_bytes, " (--web.max-label-value-bytes)"));
    }
  }
  if (!named) {
    *reason = "no_metric_name";
    return absl::InvalidArgumentError("no metric name (__name__ label)");
  }
  return absl::OkStatus();
}

// A storage error that is not about the request's data (a full disk, a
// failed WAL, a closing DB): retryable, whatever its code, so remote write
// answers 503 and Prometheus keeps the samples.
Status Retryable(const Status& st) {
  return absl::UnavailableError(StrCat("storage: ", FromAbsl(st.message())));
}

}  // namespace

void Api::RemoteWrite(Call& c) {
  auto fail = [&](const Status& st) { RespondStatus(EndpointFamily::kRemoteWrite, st, c.res); };
  const std::string_view content_type = c.req.Header("content-type");
  const std::string_view encoding = c.req.Header("content-encoding");
  if (content_type.find("io.prometheus.write.v2.Request") != std::string_view::npos) {
    return fail(absl::UnimplementedError(
        "remote write 2.0 (io.prometheus.write.v2.Request) is not supported; "
        "send remote write 1.0 (prometheus.WriteRequest)"));
  }
  if (!content_type.empty() && !content_type.starts_with("application/x-protobuf")) {
    return fail(absl::UnimplementedError(StrCat("unsupported content type \"", content_type,
                                                "\": remote write wants application/x-protobuf")));
  }
  if (!encoding.empty() && encoding != "snappy") {
    return fail(absl::UnimplementedError(
        StrCat("unsupported content encoding \"", encoding, "\": remote write wants snappy")));
  }
  // The decoder holds the decompressed body (and nothing per item): that
  // is counted against the in-flight budget beside the body itself.
  BudgetReservation decoded(options_.inflight_budget, 0);
  size_t decompressed = 0;
  if (options_.inflight_budget != nullptr &&
      snappy::GetUncompressedLength(c.req.body.data(), c.req.body.size(), &decompressed) &&
      decompressed <= options_.max_body_bytes && !decoded.Grow(decompressed)) {
    metrics_.AddRefused("inflight_bytes");
    return RespondOverloaded(EndpointFamily::kRemoteWrite,
                             "too many request bytes in flight; retry later", c.res);
  }
  // One per thread: its buffer is reused by the thread's next request
  // (and given back after an unusually large one, see DecodeSnappy).
  thread_local WriteRequestDecoder decoder;
  StatusOr<const WriteRequestView*> view =
      decoder.DecodeSnappy(c.req.body, options_.max_body_bytes, options_.write_limits);
  if (!view.ok()) {
    metrics_.AddRefused(view.status().code() == absl::StatusCode::kResourceExhausted
                            ? "request_too_large"
                            : "bad_request");
    return fail(view.status());
  }
  StoreMetadata(**view);
  std::unique_ptr<Appender> app = c.db->NewAppender();
  std::vector<LabelView> labels;
  Status first_error;
  uint64_t samples = 0, refused = 0, histograms = 0;
  for (const WireSeries& s : (*view)->series()) {
    histograms += s.num_histograms();
    if (s.samples().empty()) continue;
    labels.clear();
    for (const WireLabel& l : s.labels()) labels.push_back({l.name, l.value});
    samples += s.samples().size();
    // Bad data refuses the sample (400 at the end, the good samples kept);
    // anything else fails the request with a status Prometheus retries.
    auto refuse = [&](const Status& st, size_t n) {
      refused += n;
      if (first_error.ok()) {
        first_error = absl::InvalidArgumentError(
            StrCat("series ", SeriesString(labels), ": ", FromAbsl(st.message())));
      }
    };
    std::string_view reason;
    if (Status st = CheckSeries(labels, options_.write_limits, &reason); !st.ok()) {
      metrics_.AddRefused(reason, s.samples().size());
      refuse(st, s.samples().size());
      continue;
    }
    auto sample = s.samples().begin();
    StatusOr<SeriesRef> ref = app->Append(labels, sample->timestamp_ms, sample->value);
    if (!ref.ok()) {
      if (ref.status().code() != absl::StatusCode::kInvalidArgument) {
        app->Rollback();
        return fail(Retryable(ref.status()));
      }
      refuse(ref.status(), s.samples().size());
      continue;
    }
    for (++sample; sample != s.samples().end(); ++sample) {
      Status st = app->Append(*ref, sample->timestamp_ms, sample->value);
      if (st.ok()) continue;
      if (st.code() != absl::StatusCode::kInvalidArgument) {
        app->Rollback();
        return fail(Retryable(st));
      }
      refuse(st, 1);
    }
  }
  const Status commit = app->Commit();
  metrics_.AddRemoteWrite(samples, refused, histograms);
  if (!commit.ok() && commit.code() != absl::StatusCode::kInvalidArgument) {
    return fail(Retryable(commit));
  }
  std::string message;
  if (!first_error.ok()) message = std::string(FromAbsl(first_error.message()));
  if (!commit.ok()) {
    StrAppend(&message, message.empty() ? "" : "; ", FromAbsl(commit.message()));
  }
  if (histograms > 0) {
    metrics_.AddRefused("native_histogram", histograms);
    StrAppend(&message, message.empty() ? "" : "; ", histograms,
              " native histogram samples were not stored: Strata does not support native "
              "histograms yet");
  }
  if (!message.empty()) return fail(absl::InvalidArgumentError(message));
  c.res->status = 204;
  c.res->body.clear();
}

void Api::RemoteRead(Call& c) {
  const std::string_view encoding = c.req.Header("content-encoding");
  auto fail = [&](const Status& st) { RespondStatus(EndpointFamily::kRemoteRead, st, c.res); };
  if (!encoding.empty() && encoding != "snappy") {
    return fail(absl::UnimplementedError(
        StrCat("unsupported content encoding \"", encoding, "\": remote read wants snappy")));
  }
  // Held until the answer is sent, streamed or not.
  const internal::ConcurrencyGate::Slot slot =
      remote_reads_.Acquire(absl::Milliseconds(options_.remote_read_queue_wait_ms));
  if (!slot.held()) {
    return fail(absl::UnavailableError(
        StrCat("too many concurrent remote reads: ", remote_reads_.limit(),
               " are running (--storage.remote.read-concurrent-limit) and none finished within ",
               options_.remote_read_queue_wait_ms, "ms; retry later")));
  }
  size_t n = 0;
  if (!snappy::GetUncompressedLength(c.req.body.data(), c.req.body.size(), &n)) {
    return fail(absl::InvalidArgumentError("remote read body is not a snappy block"));
  }
  if (n > options_.max_body_bytes) {
    RespondText(c.res, 413,
                StrCat("remote read request decompresses to ", n, " bytes, more than the limit of ",
                       options_.max_body_bytes, " (--web.max-body-bytes)"));
    return;
  }
  std::string proto;
  if (!snappy::Uncompress(c.req.body.data(), c.req.body.size(), &proto)) {
    return fail(absl::InvalidArgumentError("remote read body: damaged snappy block"));
  }
  StatusOr<ReadRequest> req = DecodeReadRequest(proto);
  if (!req.ok()) return fail(req.status());
  StatusOr<internal::QueryBudget> budget = Budget(c, "remote read");
  if (!budget.ok()) return fail(budget.status());
  RemoteReadLimits limits;
  limits.sample_limit = options_.remote_read_sample_limit;
  limits.max_bytes_in_frame = options_.remote_read_max_bytes_in_frame;
  limits.before_series = [&budget] { return budget->AddSeries(); };
  // Prometheus answers its limits with 400 (the sample limit, a
  // ResourceExhausted); the series cap is an execution error as on the
  // other endpoints (422, FailedPrecondition); the deadline 503.
  auto fail_read = [&](const Status& st) {
    fail(budget->series_cap_exceeded() ? absl::FailedPreconditionError(st.message()) : st);
  };
  const ReadResponseType type = NegotiateReadResponseType(*req, options_.chunk_codec != nullptr);
  if (type == ReadResponseType::kSamples) {
    std::string body;
    if (Status st = ReadSamples(*c.db, *req, limits, &body); !st.ok()) return fail_read(st);
    c.res->status = 200;
    c.res->content_type = "application/x-protobuf";
    c.res->headers.emplace_back("Content-Encoding", "snappy");
    snappy::Compress(body.data(), body.size(), &c.res->body);
    return;
  }
  constexpr std::string_view kStreamedType =
      "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";
  // Without a stream (in-process callers) the frames are gathered; with
  // one, the first frame begins the response, so an error found before it
  // is still an ordinary error response.
  std::string body;
  bool begun = false;
  const Status st = StreamXorChunks(
      *c.db, *req, *options_.chunk_codec, limits, [&](std::string_view frame) -> Status {
        if (c.stream == nullptr) {
          body.append(frame);
          return absl::OkStatus();
        }
        if (!begun) {
          STRATA_RETURN_IF_ERROR(c.stream->Begin(200, kStreamedType, {}));
          begun = true;
        }
        return c.stream->Write(frame);
      });
  if (!st.ok()) {
    if (!begun) return fail_read(st);
    return c.stream->Abort(
        StrCat("remote read failed after the response began: ", FromAbsl(st.message())));
  }
  if (begun) return;
  c.res->status = 200;
  c.res->content_type = std::string(kStreamedType);
  c.res->body = std::move(body);
}

}  // namespace strata::server
