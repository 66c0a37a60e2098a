#include "server/remote_read.h"

#include "gtest/gtest.h"

namespace strata::server {
namespace {

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
