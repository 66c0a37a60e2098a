#include "server/remote_read.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <random>

#include "base/strings.h"
#include "compression/crc32c.h"
#include "compression/xor_chunk.h"
#include "gtest/gtest.h"
#include "server/response_stream.h"
#include "tests/server/remote_read_answers.h"
#include "tests/testing/mem_env.h"

namespace strata::server {
namespace {

using testing::AnswerSeries;
using testing::DecodeSamplesAnswer;
using testing::DecodeStreamedAnswer;
using testing::StreamStats;

// Prometheus' remote read clients (and Strata's serve) encode with the XOR
// chunk of compression/, which server/ may not use itself.
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

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kStepMs = 15'000;

// A DB in memory holding `series` series of `samples` samples each, named
// m{i="<n>"}. Random values (so chunks are as large as real noisy data),
// a staleness marker as the last sample of every 7th series.
class RemoteReadDBTest : public ::testing::Test {
 protected:
  void Open() {
    Options o;
    o.env = &env_;
    o.background_compaction = false;
    o.retention_ms = 0;
    StatusOr<std::unique_ptr<DB>> db = DB::Open(o, "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  void Fill(int series, int samples) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> noise(0, 1000);
    std::unique_ptr<Appender> app = db_->NewAppender();
    for (int i = 0; i < series; ++i) {
      const std::string n = StrCat(i);
      StatusOr<SeriesRef> ref = app->Append({{"__name__", "m"}, {"i", n}}, kT0, noise(rng));
      ASSERT_TRUE(ref.ok()) << ref.status();
      for (int j = 1; j < samples; ++j) {
        double v = noise(rng);
        if (j == samples - 1 && i % 7 == 0) std::memcpy(&v, &kStaleNaNBits, 8);
        ASSERT_TRUE(app->Append(*ref, kT0 + j * kStepMs, v).ok());
      }
      if (i % 100 == 99) {
        ASSERT_TRUE(app->Commit().ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  static ReadRequest AllOfM(int type) {
    ReadRequest req;
    req.queries.push_back(
        ReadQuery{kT0, INT64_MAX / 2, {{LabelMatcher::Type::kEqual, "__name__", "m"}}});
    req.accepted_response_types = {type};
    return req;
  }

  strata::testing::MemEnv env_;
  std::unique_ptr<DB> db_;
  ChunkCodec codec_ = TestCodec();
};

// The SAMPLES answer, decoded.
std::vector<AnswerSeries> SamplesOf(DB& db, const ReadRequest& req) {
  std::string body;
  RemoteReadLimits limits;
  limits.sample_limit = 0;
  const Status st = ReadSamples(db, req, limits, &body);
  EXPECT_TRUE(st.ok()) << st;
  StatusOr<std::vector<AnswerSeries>> got = DecodeSamplesAnswer(body);
  EXPECT_TRUE(got.ok()) << got.status();
  return got.ok() ? *got : std::vector<AnswerSeries>{};
}

TEST_F(RemoteReadDBTest, StreamedFramesStayUnderTheLimitAndCarryTheSamplesAnswer) {
  Open();
  Fill(2000, 1000);  // 2 M samples, about 8.5 KiB of chunks per series
  const std::vector<AnswerSeries> want = SamplesOf(*db_, AllOfM(0));
  ASSERT_EQ(want.size(), 2000u);
  ASSERT_EQ(want[0].timestamps_ms.size(), 1000u);

  // 4 KiB frames: every series is split over several frames.
  constexpr size_t kMaxBytes = 4 << 10;
  RemoteReadLimits limits;
  limits.max_bytes_in_frame = kMaxBytes;
  StringResponseStream stream;
  ASSERT_TRUE(stream.Begin(200, "x", {}).ok());
  size_t sink_calls = 0;
  const Status st = StreamXorChunks(*db_, AllOfM(1), codec_, limits, [&](std::string_view f) {
    ++sink_calls;
    return stream.Write(f);
  });
  ASSERT_TRUE(st.ok()) << st;
  StreamStats stats;
  StatusOr<std::vector<AnswerSeries>> got = DecodeStreamedAnswer(stream.body(), &stats);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == want) << "streamed and SAMPLES answers differ";
  EXPECT_LE(stats.largest_message, kMaxBytes);
  EXPECT_LE(stream.largest_write(), kMaxBytes + 10 + 4);  // uvarint length, CRC
  EXPECT_EQ(stream.writes(), stats.frames);
  EXPECT_EQ(sink_calls, stats.frames);
  EXPECT_EQ(stats.max_series_per_frame, 1u);
  EXPECT_EQ(stats.split_series, 2000u);
  // Frames are filled: a chunk (about 1 KiB here) goes to the next frame
  // only when it would not fit.
  EXPECT_LE(stats.frames, stream.body().size() / (kMaxBytes / 2) + 2000);
}

TEST_F(RemoteReadDBTest, ASeriesLargerThanTheDefaultFrameIsSplitByChunks) {
  Open();
  Fill(1, 200'000);         // about 1.7 MiB of XOR chunks
  RemoteReadLimits limits;  // 1 MiB frames, as Prometheus
  std::string body;
  ASSERT_TRUE(ExecuteRemoteRead(*db_, AllOfM(1), ReadResponseType::kStreamedXorChunks, &codec_,
                                limits, &body)
                  .ok());
  StreamStats stats;
  StatusOr<std::vector<AnswerSeries>> got = DecodeStreamedAnswer(body, &stats);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(stats.frames, 2u);
  EXPECT_LE(stats.largest_message, size_t{1} << 20);
  EXPECT_GT(stats.largest_message, (size_t{1} << 20) - 4096) << "the first frame is full";
  EXPECT_TRUE(*got == SamplesOf(*db_, AllOfM(0)));
}

TEST_F(RemoteReadDBTest, SamplesUpToTheLimitAndAClearErrorPastIt) {
  Open();
  Fill(10, 100);
  const std::vector<AnswerSeries> all = SamplesOf(*db_, AllOfM(0));
  RemoteReadLimits limits;
  limits.sample_limit = 1000;  // exactly what is stored
  std::string body;
  ASSERT_TRUE(ReadSamples(*db_, AllOfM(0), limits, &body).ok());
  StatusOr<std::vector<AnswerSeries>> got = DecodeSamplesAnswer(body);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == all);
  EXPECT_EQ(all.size(), 10u);

  limits.sample_limit = 999;
  const Status st = ReadSamples(*db_, AllOfM(0), limits, &body);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("exceeded sample limit (999)"), std::string::npos) << st;
  EXPECT_NE(st.message().find("--storage.remote.read-sample-limit"), std::string::npos) << st;
}

TEST_F(RemoteReadDBTest, BeforeSeriesAndSinkErrorsStopTheRead) {
  Open();
  Fill(300, 10);
  RemoteReadLimits limits;
  int series = 0;
  limits.before_series = [&]() -> Status {
    if (++series > 5) return absl::DeadlineExceededError("deadline");
    return absl::OkStatus();
  };
  std::string body;
  EXPECT_EQ(ReadSamples(*db_, AllOfM(0), limits, &body).code(),
            absl::StatusCode::kDeadlineExceeded);
  series = 0;
  int frames = 0;
  EXPECT_EQ(StreamXorChunks(*db_, AllOfM(1), codec_, limits,
                            [&](std::string_view) {
                              ++frames;
                              return absl::OkStatus();
                            })
                .code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(frames, 5);
  limits.before_series = nullptr;
  frames = 0;
  EXPECT_EQ(StreamXorChunks(*db_, AllOfM(1), codec_, limits,
                            [&](std::string_view) {
                              return ++frames == 3 ? absl::UnavailableError("client went away")
                                                   : absl::OkStatus();
                            })
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(frames, 3);
}

TEST(RemoteReadTest, RequestRoundTrips) {
  ReadRequest req;
  ReadQuery q;
  q.start_ms = -5;
  q.end_ms = 1700000000000;
  q.matchers.push_back({LabelMatcher::Type::kEqual, "__name__", "up"});
  q.matchers.push_back({LabelMatcher::Type::kRegexNoMatch, "job", "a|b"});
  req.queries.push_back(q);
  req.queries.push_back(ReadQuery{});
  req.accepted_response_types = {1, 0};
  const StatusOr<ReadRequest> got = DecodeReadRequest(EncodeReadRequest(req));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->queries.size(), 2u);
  EXPECT_EQ(got->queries[0].start_ms, -5);
  EXPECT_EQ(got->queries[0].end_ms, 1700000000000);
  ASSERT_EQ(got->queries[0].matchers.size(), 2u);
  EXPECT_EQ(got->queries[0].matchers[1].type, LabelMatcher::Type::kRegexNoMatch);
  EXPECT_EQ(got->queries[0].matchers[1].value, "a|b");
  EXPECT_EQ(got->accepted_response_types, (std::vector<int>{1, 0}));
  EXPECT_EQ(NegotiateReadResponseType(*got, true), ReadResponseType::kStreamedXorChunks);
  EXPECT_EQ(NegotiateReadResponseType(*got, false), ReadResponseType::kSamples);
  EXPECT_EQ(NegotiateReadResponseType(ReadRequest{}, true), ReadResponseType::kSamples);
}

TEST(RemoteReadTest, DamageIsAnErrorWithAnOffset) {
  std::string bytes = EncodeReadRequest(
      ReadRequest{{ReadQuery{1, 2, {{LabelMatcher::Type::kEqual, "a", "b"}}}}, {0}});
  for (size_t n = 1; n < bytes.size(); ++n) {
    const StatusOr<ReadRequest> r = DecodeReadRequest(std::string_view(bytes).substr(0, n));
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find("offset"), std::string::npos) << r.status();
    }
  }
  EXPECT_FALSE(DecodeReadRequest("\x0a\x05\x08").ok());
  const StatusOr<ReadRequest> bad_type =
      DecodeReadRequest(std::string("\x0a\x04\x1a\x02\x08\x09", 6));
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("unknown matcher type 9"), std::string::npos)
      << bad_type.status();
}

}  // namespace
}  // namespace strata::server
