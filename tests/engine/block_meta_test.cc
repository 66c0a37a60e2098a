#include "engine/block_meta.h"

#include <string>

#include "engine/ulid.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::engine {
namespace {

TEST(UlidTest, TextRoundTripAndTimeOrder) {
  const Ulid a = NewUlid(1672531200000);
  const Ulid b = NewUlid(1672531200001);
  EXPECT_EQ(a.time_ms(), 1672531200000u);
  EXPECT_LT(a.ToString(), b.ToString());
  auto parsed = ParseUlid(a.ToString());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, a);
  auto lower = ParseUlid("01m7ypv46f54axx6deh8jv1n2g");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->ToString(), "01M7YPV46F54AXX6DEH8JV1N2G");
  EXPECT_FALSE(ParseUlid("01M7YPV46F54AXX6DEH8JV1N2").ok());   // 25 chars
  EXPECT_FALSE(ParseUlid("81M7YPV46F54AXX6DEH8JV1N2G").ok());  // > 128 bits
  EXPECT_FALSE(ParseUlid("01M7YPV46F54AXX6DEH8JV1N2U").ok());  // U is not base32
}

TEST(BlockMetaTest, PrometheusMetaRoundTripsByteForByte) {
  Env& env = *Env::Default();
  auto children = env.GetChildren(testing::PrometheusFixtureDataDir());
  ASSERT_TRUE(children.ok());
  int blocks = 0;
  for (const std::string& c : *children) {
    if (c.size() != 26) continue;
    ++blocks;
    const std::string dir = testing::PrometheusFixtureDataDir() + "/" + c;
    auto meta = ReadBlockMeta(env, dir);
    ASSERT_TRUE(meta.ok()) << meta.status();
    EXPECT_EQ(meta->ulid.ToString(), c);
    EXPECT_EQ(meta->min_time_ms, 1672531200000);
    EXPECT_EQ(meta->max_time_ms, 1672538400000);
    EXPECT_EQ(meta->stats.num_series, 11u);
    EXPECT_EQ(meta->stats.num_chunks, 49u);
    EXPECT_EQ(meta->compaction.level, 1);
    ASSERT_EQ(meta->compaction.sources.size(), 1u);
    EXPECT_EQ(meta->compaction.sources[0], meta->ulid);
    EXPECT_EQ(EncodeBlockMeta(*meta), *ReadFileToString(env, dir + "/meta.json"));
  }
  EXPECT_EQ(blocks, 1);
}

TEST(BlockMetaTest, EveryFieldRoundTrips) {
  BlockMeta m;
  m.ulid = NewUlid(1000);
  m.min_time_ms = -5;
  m.max_time_ms = 7200000;
  m.stats = {1, 2, 3, 4};
  m.compaction.level = 3;
  m.compaction.sources = {NewUlid(1), NewUlid(2)};
  m.compaction.parents = {{NewUlid(3), 0, 10}, {NewUlid(4), 10, 20}};
  m.compaction.deletable = true;
  m.compaction.failed = true;
  m.compaction.hints = {"from-out-of-order"};
  const std::string text = EncodeBlockMeta(m);
  auto back = DecodeBlockMeta(text);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  EXPECT_EQ(*back, m);
  // Go's MarshalIndent layout: tabs, "key": value, empty stats as {}.
  BlockMeta empty;
  empty.ulid = m.ulid;
  EXPECT_EQ(EncodeBlockMeta(empty), "{\n\t\"ulid\": \"" + m.ulid.ToString() +
                                        "\",\n\t\"minTime\": 0,\n\t\"maxTime\": 0,\n\t\"stats\": "
                                        "{},\n\t\"compaction\": {\n\t\t\"level\": 1\n\t},\n\t"
                                        "\"version\": 1\n}");
}

TEST(BlockMetaTest, BadFilesAreReportedWithTheField) {
  EXPECT_EQ(DecodeBlockMeta("{").status().message(),
            "meta.json: json offset 1: expected a member name");
  EXPECT_EQ(DecodeBlockMeta(R"({"version": 2})").status().message(),
            "meta.json: unexpected meta file version 2");
  EXPECT_EQ(
      DecodeBlockMeta(R"({"version": 1, "ulid": "01M7YPV46F54AXX6DEH8JV1N2G"})").status().message(),
      "meta.json: missing field \"minTime\"");
  EXPECT_EQ(DecodeBlockMeta(R"({"version": 1, "ulid": "x", "minTime": 0, "maxTime": 1})")
                .status()
                .message(),
            "meta.json: field \"ulid\": not a ULID: \"x\"");
  EXPECT_EQ(DecodeBlockMeta(R"({"version": 1, "ulid": "01M7YPV46F54AXX6DEH8JV1N2G",
                                "minTime": "0", "maxTime": 1, "compaction": {"level": 1}})")
                .status()
                .message(),
            "meta.json: field \"minTime\": expected an integer, got a non-number");
  // Found by the fuzzer: a negative count must not wrap to a huge one.
  EXPECT_EQ(DecodeBlockMeta(R"({"version": 1, "ulid": "01M7YPV46F54AXX6DEH8JV1N2G", "minTime": 0,
                                "maxTime": 1, "stats": {"numSamples": -5778},
                                "compaction": {"level": 1}})")
                .status()
                .message(),
            "meta.json: field \"numSamples\": expected an unsigned integer, got -5778");
}

TEST(BlockMetaTest, ReadErrorsCarryThePath) {
  char tmpl[] = "/tmp/strata_meta_test_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  Env& env = *Env::Default();
  EXPECT_EQ(ReadBlockMeta(env, dir).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(env, dir + "/meta.json", "{\"version\": 1").ok());
  auto bad = ReadBlockMeta(env, dir);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(bad.status().message()).find(dir + "/meta.json: "), std::string::npos);
  BlockMeta m;
  m.ulid = NewUlid(5);
  ASSERT_TRUE(WriteBlockMeta(env, dir, m).ok());
  auto good = ReadBlockMeta(env, dir);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, m);
  ASSERT_TRUE(env.RemoveAll(dir).ok());
}

}  // namespace
}  // namespace strata::engine
