// Api::Handle driven in-process against a real DB in memory (MemEnv): the
// limits of the query-like endpoints (series cap, deadline), remote read
// through a ResponseStream, its sample limit and its concurrency limit.
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "base/mutex.h"
#include "base/strings.h"
#include "compression/crc32c.h"
#include "compression/xor_chunk.h"
#include "gtest/gtest.h"
#include "server/api.h"
#include "server/response_stream.h"
#include "snappy.h"
#include "tests/server/remote_read_answers.h"
#include "tests/testing/mem_env.h"

namespace strata::server {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// A steady clock the tests move: deadlines pass when a test says so,
// without sleeping.
std::atomic<int64_t> fake_now_ns{0};
int64_t FakeNowNs() { return fake_now_ns.load(); }

ChunkCodec TestCodec() {
  return ChunkCodec{
      [](std::span<const int64_t> ts, std::span<const double> vs, std::string* out) -> Status {
        compression::XorChunk chunk;
        for (size_t i = 0; i < ts.size(); ++i) {
          if (Status st = chunk.Append(ts[i], vs[i]); !st.ok()) return st;
        }
        out->assign(chunk.bytes());
        return absl::OkStatus();
      },
      [](std::string_view data) { return compression::crc32c::Value(data); }};
}

class ApiHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_now_ns = 1'000'000'000;
    Options o;
    o.env = &env_;
    o.background_compaction = false;
    o.retention_ms = 0;
    StatusOr<std::unique_ptr<DB>> db = DB::Open(o, "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    // 300 series: job="a" has 200 (i = 0..199), job="b" 100; 20 samples each.
    std::unique_ptr<Appender> app = db_->NewAppender();
    for (int i = 0; i < 300; ++i) {
      const std::string n = StrCat(i);
      const std::string job = i < 200 ? "a" : "b";
      StatusOr<SeriesRef> ref = app->Append({{"__name__", "m"}, {"i", n}, {"job", job}}, kT0, i);
      ASSERT_TRUE(ref.ok()) << ref.status();
      for (int j = 1; j < 20; ++j) ASSERT_TRUE(app->Append(*ref, kT0 + j * 15'000, j).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
    options_.steady_now_ns = &FakeNowNs;
    options_.chunk_codec = &codec_;
  }

  void TearDown() override {
    if (api_ != nullptr) api_->SetDB(nullptr);
    api_.reset();
    if (db_ != nullptr) {
      EXPECT_TRUE(db_->Close().ok());
    }
  }

  Api& api() {
    if (api_ == nullptr) {
      api_ = std::make_unique<Api>(options_, nullptr, metrics_);
      api_->SetDB(db_.get());
    }
    return *api_;
  }

  HttpResponse Get(std::string_view path, std::string_view query) {
    HttpRequest req;
    req.method = "GET";
    req.path = std::string(path);
    req.query = std::string(query);
    HttpResponse res;
    api().Handle(req, &res);
    return res;
  }

  // POST /api/v1/read of m{job=<job>} accepting `type`.
  HttpResponse Read(int type, std::string_view job, ResponseStream* stream) {
    ReadRequest rr;
    rr.queries.push_back(ReadQuery{kT0,
                                   kT0 + 3600'000,
                                   {{LabelMatcher::Type::kEqual, "__name__", "m"},
                                    {LabelMatcher::Type::kRegexMatch, "job", std::string(job)}}});
    rr.accepted_response_types = {type};
    const std::string proto = EncodeReadRequest(rr);
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/read";
    req.headers = {{"content-encoding", "snappy"}, {"content-type", "application/x-protobuf"}};
    snappy::Compress(proto.data(), proto.size(), &req.body);
    HttpResponse res;
    res.status = -1;  // shows whether the handler answered through res
    api().Handle(req, &res, stream);
    return res;
  }

  strata::testing::MemEnv env_;
  std::unique_ptr<DB> db_;
  ChunkCodec codec_ = TestCodec();
  ApiOptions options_;
  ServerMetrics metrics_;
  std::unique_ptr<Api> api_;
};

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

TEST_F(ApiHandlerTest, SeriesAndLabelsAnswerUnderTheLimits) {
  options_.max_series = 300;
  HttpResponse r = Get("/api/v1/series", "match[]=m");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"({"__name__":"m","i":"99","job":"a"})")) << r.body.substr(0, 200);
  r = Get("/api/v1/labels", "match[]=m");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success","data":["__name__","i","job"]})");
  r = Get("/api/v1/label/job/values", "match[]=m");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success","data":["a","b"]})");
  r = Get("/api/v1/label/job/values", "");
  EXPECT_EQ(r.body, R"({"status":"success","data":["a","b"]})");
  r = Get("/api/v1/status/tsdb", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("numSeries":300)")) << r.body;
}

TEST_F(ApiHandlerTest, TheSeriesCapFailsTheRequestNamingTheLimit) {
  options_.max_series = 250;
  for (const auto& [path, query] :
       {std::pair{"/api/v1/series", "match[]=m"}, {"/api/v1/status/tsdb", ""}}) {
    const HttpResponse r = Get(path, query);
    EXPECT_EQ(r.status, 422) << path << ": " << r.body;
    EXPECT_TRUE(Contains(r.body, R"("errorType":"execution")")) << r.body;
    EXPECT_TRUE(Contains(r.body, "more than 250 series")) << r.body;
    EXPECT_TRUE(Contains(r.body, "--query.max-series")) << r.body;
  }
  // Under the cap (job="a" is 200 series), and counted per request: two
  // match[] of 200 series each pass 250.
  EXPECT_EQ(Get("/api/v1/series", "match[]=m{job=\"a\"}").status, 200);
  EXPECT_EQ(Get("/api/v1/series", "match[]=m{job=\"a\"}&match[]=m{job=\"a\",i!=\"\"}").status, 422);
  // Label names and values are index look-ups that load no series, so the
  // cap does not apply to them (the deadline does).
  EXPECT_EQ(Get("/api/v1/labels", "match[]=m").status, 200);
  EXPECT_EQ(Get("/api/v1/label/i/values", "match[]=m").status, 200);
}

TEST_F(ApiHandlerTest, LimitStillTruncatesWithAWarningAndStopsEarly) {
  options_.max_series = 250;
  // limit= reads only limit + 1 series of each sorted selection, so the
  // cap does not fail a request that asks for few.
  const HttpResponse r = Get("/api/v1/series", "match[]=m&limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":[{"__name__":"m","i":"0","job":"a"},)"
      R"({"__name__":"m","i":"1","job":"a"}],"warnings":["results truncated due to limit"]})");
  // Several selectors: merged, sorted, deduplicated, then truncated.
  const HttpResponse m =
      Get("/api/v1/series", "match[]=m{job=\"b\"}&match[]=m{i=\"0\"}&match[]=m{i=\"0\"}&limit=2");
  EXPECT_EQ(
      m.body,
      R"({"status":"success","data":[{"__name__":"m","i":"0","job":"a"},)"
      R"({"__name__":"m","i":"200","job":"b"}],"warnings":["results truncated due to limit"]})");
  const HttpResponse l = Get("/api/v1/label/job/values", "limit=1");
  EXPECT_EQ(l.body,
            R"({"status":"success","data":["a"],"warnings":["results truncated due to limit"]})");
}

// The clock jumps past the deadline while the endpoint runs: the first
// check sees it.
TEST_F(ApiHandlerTest, TheDeadlineFailsQueryLikeEndpointsWith503) {
  options_.query_timeout_ms = 1000;
  static std::atomic<int> reads{0};
  options_.steady_now_ns = [] {
    // The first read sets the deadline; every later one is 1 h on.
    return reads.fetch_add(1) == 0 ? int64_t{0} : int64_t{3600} * 1'000'000'000;
  };
  for (const auto& [path, query] : {std::pair{"/api/v1/series", "match[]=m"},
                                    {"/api/v1/labels", ""},
                                    {"/api/v1/labels", "match[]=m"},
                                    {"/api/v1/label/job/values", ""},
                                    {"/api/v1/label/job/values", "match[]=m"},
                                    {"/api/v1/status/tsdb", ""},
                                    {"/api/v1/query_exemplars", "query=m"}}) {
    reads = 0;
    const HttpResponse r = Get(path, query);
    EXPECT_EQ(r.status, 503) << path << "?" << query << ": " << r.body;
    EXPECT_TRUE(Contains(r.body, R"("errorType":"timeout")")) << r.body;
    EXPECT_TRUE(Contains(r.body, "query timed out in")) << r.body;
    EXPECT_TRUE(Contains(r.body, "(timeout 1s")) << r.body;
  }
}

TEST_F(ApiHandlerTest, TheTimeoutParameterShortensTheDeadline) {
  options_.query_timeout_ms = 0;  // none
  options_.steady_now_ns = &FakeNowNs;
  EXPECT_EQ(Get("/api/v1/series", "match[]=m").status, 200);
  // 2 s of the fake clock pass at every read of it: a 1 s timeout passes
  // at the first check, a 1 h one does not.
  static std::atomic<int64_t> now{0};
  options_.steady_now_ns = [] { return now.fetch_add(2'000'000'000); };
  api_.reset();
  HttpResponse r = Get("/api/v1/series", "match[]=m&timeout=1s");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(Contains(r.body, "(timeout 1s")) << r.body;
  r = Get("/api/v1/series", "match[]=m&timeout=1h");
  EXPECT_EQ(r.status, 200) << r.body;
  r = Get("/api/v1/series", "match[]=m&timeout=soon");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Contains(r.body, R"(invalid parameter \"timeout\")")) << r.body;
}

TEST_F(ApiHandlerTest, QueryExemplarsChecksItsParameters) {
  HttpResponse r = Get("/api/v1/query_exemplars", "query=m&start=1&end=2");
  EXPECT_EQ(r.body, R"({"status":"success","data":[]})");
  r = Get("/api/v1/query_exemplars", "query=m{");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Contains(r.body, "parse error")) << r.body;
  r = Get("/api/v1/query_exemplars", "query=m&start=2&end=1");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(ApiHandlerTest, RemoteReadStreamsFramesThroughTheStream) {
  StringResponseStream stream;
  const HttpResponse res = Read(1, "a|b", &stream);
  EXPECT_EQ(res.status, -1) << "res is left alone once the stream began";
  ASSERT_TRUE(stream.began());
  EXPECT_EQ(stream.status(), 200);
  EXPECT_EQ(stream.content_type(),
            "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse");
  EXPECT_FALSE(stream.aborted());
  testing::StreamStats stats;
  StatusOr<std::vector<testing::AnswerSeries>> got =
      testing::DecodeStreamedAnswer(stream.body(), &stats);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 300u);
  EXPECT_EQ(stream.writes(), 300u) << "one frame per series, each written as it is made";

  // The same read without a stream, and as SAMPLES: the same data.
  const HttpResponse whole = Read(1, "a|b", nullptr);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, stream.body());
  const HttpResponse samples = Read(0, "a|b", &stream);
  ASSERT_EQ(samples.status, 200) << "SAMPLES is answered in res";
  std::string proto;
  ASSERT_TRUE(snappy::Uncompress(samples.body.data(), samples.body.size(), &proto));
  StatusOr<std::vector<testing::AnswerSeries>> want = testing::DecodeSamplesAnswer(proto);
  ASSERT_TRUE(want.ok());
  EXPECT_TRUE(*got == *want);

  // Nothing selected: an empty 200 in res.
  StringResponseStream empty;
  const HttpResponse none = Read(1, "nope", &empty);
  EXPECT_FALSE(empty.began());
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, "");
}

TEST_F(ApiHandlerTest, RemoteReadLimitsAnswerWithClearErrors) {
  options_.remote_read_sample_limit = 100 * 20 - 1;  // job="b": 100 series of 20 samples
  options_.max_series = 150;
  HttpResponse r = Read(0, "b", nullptr);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Contains(r.body, "exceeded sample limit (1999)")) << r.body;
  StringResponseStream stream;
  r = Read(1, "b", &stream);  // streamed reads have no sample limit
  EXPECT_TRUE(stream.began());
  EXPECT_FALSE(stream.aborted());
  // The series cap, found before the answer began: an ordinary error.
  api_.reset();
  options_.remote_read_sample_limit = 0;
  r = Read(0, "a", nullptr);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(Contains(r.body, "more than 150 series")) << r.body;
  // Found after frames went out: the stream is aborted, not ended.
  StringResponseStream cut;
  r = Read(1, "a", &cut);
  EXPECT_EQ(r.status, -1);
  EXPECT_TRUE(cut.began());
  EXPECT_EQ(cut.writes(), 150u);
  EXPECT_TRUE(cut.aborted());
  EXPECT_TRUE(Contains(cut.abort_reason(), "--query.max-series")) << cut.abort_reason();
}

TEST_F(ApiHandlerTest, RemoteReadDeadlineAndAClientThatWentAway) {
  options_.query_timeout_ms = 1000;
  // The clock passes the deadline once the 3rd frame was written.
  StringResponseStream late;
  late.on_write = [](size_t before) {
    if (before == 2) fake_now_ns += int64_t{3600} * 1'000'000'000;
    return absl::OkStatus();
  };
  HttpResponse r = Read(1, "a|b", &late);
  EXPECT_TRUE(late.aborted());
  EXPECT_TRUE(Contains(late.abort_reason(), "timed out")) << late.abort_reason();
  // Checked every QueryBudget::kClockEvery series.
  EXPECT_EQ(late.writes(), static_cast<size_t>(internal::QueryBudget::kClockEvery - 1));
  // SAMPLES past the deadline: 503.
  fake_now_ns = 0;
  api_.reset();
  static std::atomic<int> reads{0};
  reads = 0;
  options_.steady_now_ns = [] {
    return reads.fetch_add(1) == 0 ? int64_t{0} : int64_t{3600} * 1'000'000'000;
  };
  r = Read(0, "a|b", nullptr);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(Contains(r.body, "timed out")) << r.body;

  StringResponseStream gone;
  gone.on_write = [](size_t before) {
    return before == 5 ? absl::UnavailableError("client went away") : absl::OkStatus();
  };
  api_.reset();
  options_.query_timeout_ms = 0;
  Read(1, "a|b", &gone);
  EXPECT_EQ(gone.writes(), 5u) << "the handler stops at the failed write";
}

TEST_F(ApiHandlerTest, RemoteReadsPastTheConcurrencyLimitGet503WithRetryAfter) {
  options_.remote_read_concurrent_limit = 1;
  options_.remote_read_queue_wait_ms = 0;
  api();
  // The first read holds its slot inside a Write until released.
  Notification holding, release;
  StringResponseStream held;
  held.on_write = [&](size_t before) {
    if (before == 0) {
      holding.Notify();
      release.WaitForNotification();
    }
    return absl::OkStatus();
  };
  std::thread first([&] { Read(1, "a", &held); });
  holding.WaitForNotification();
  StringResponseStream refused;
  const HttpResponse r = Read(1, "a", &refused);
  EXPECT_FALSE(refused.began());
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(Contains(r.body, "--storage.remote.read-concurrent-limit")) << r.body;
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After" && v == "1";
  EXPECT_TRUE(retry_after);
  release.Notify();
  first.join();
  EXPECT_EQ(held.writes(), 200u);
  // The slot is free again.
  EXPECT_EQ(Read(0, "a", nullptr).status, 200);
}

}  // namespace
}  // namespace strata::server
