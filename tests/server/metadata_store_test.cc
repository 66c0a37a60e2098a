#include "server/metadata_store.h"

#include <string>

#include "compression/varint.h"
#include "gtest/gtest.h"

namespace strata::server {
namespace {

std::string Bytes(uint32_t field, std::string_view payload) {
  std::string s;
  compression::PutUvarint(&s, (field << 3) | 2);
  compression::PutUvarint(&s, payload.size());
  s.append(payload);
  return s;
}
std::string Int(uint32_t field, int64_t v) {
  std::string s;
  compression::PutUvarint(&s, field << 3);
  compression::PutUvarint(&s, static_cast<uint64_t>(v));
  return s;
}
// One MetricMetadata in a WriteRequest.
std::string Meta(int type, std::string_view family, std::string_view help,
                 std::string_view unit = "") {
  return Bytes(3, Int(1, type) + Bytes(2, family) + Bytes(4, help) + Bytes(5, unit));
}

class MetadataStoreTest : public ::testing::Test {
 protected:
  void Store(MetadataStore& store, const std::string& proto) {
    auto view = decoder_.Decode(proto, WriteLimits());
    ASSERT_TRUE(view.ok()) << view.status();
    store.Store(**view);
  }
  static std::string Json(const MetadataStore& store, std::string_view metric = "",
                          int64_t limit = -1, int64_t limit_per_metric = -1) {
    std::string out;
    store.AppendJson(metric, limit, limit_per_metric, &out);
    return out;
  }

  WriteRequestDecoder decoder_;
};

TEST_F(MetadataStoreTest, ListsFamiliesByNameWithTheNewestDescriptionFirst) {
  MetadataStore store;
  EXPECT_EQ(Json(store), "{}");
  Store(store, Meta(1, "b_total", "B \"quoted\".") + Meta(2, "a", "A.", "bytes") +
                   Meta(99, "c", "unknown type") + Meta(1, "", "no name, skipped"));
  EXPECT_EQ(Json(store), R"({"a":[{"type":"gauge","help":"A.","unit":"bytes"}],)"
                         R"("b_total":[{"type":"counter","help":"B \"quoted\".","unit":""}],)"
                         R"("c":[{"type":"unknown","help":"unknown type","unit":""}]})");
  // Another description goes first; one seen before moves to the front.
  Store(store, Meta(1, "b_total", "B, new."));
  Store(store, Meta(1, "b_total", "B \"quoted\"."));
  EXPECT_EQ(Json(store, "b_total"),
            R"({"b_total":[{"type":"counter","help":"B \"quoted\".","unit":""},)"
            R"({"type":"counter","help":"B, new.","unit":""}]})");
  EXPECT_EQ(Json(store, "b_total", -1, 1),
            R"({"b_total":[{"type":"counter","help":"B \"quoted\".","unit":""}]})");
  EXPECT_EQ(Json(store, "missing"), "{}");
  EXPECT_EQ(Json(store, "", 1), R"({"a":[{"type":"gauge","help":"A.","unit":"bytes"}]})");
  EXPECT_EQ(Json(store, "", 0), "{}");
  EXPECT_EQ(Json(store, "a", 0), "{}");
  EXPECT_EQ(store.dropped(), 0u);
}

TEST_F(MetadataStoreTest, KeepsAFewDescriptionsPerFamily) {
  MetadataStore store;
  for (int i = 0; i < 10; ++i) Store(store, Meta(1, "x", "help " + std::to_string(i)));
  const std::string json = Json(store);
  EXPECT_NE(json.find("help 9"), std::string::npos) << json;
  EXPECT_NE(json.find("help 6"), std::string::npos) << json;
  EXPECT_EQ(json.find("help 5"), std::string::npos) << json;
  EXPECT_LT(json.find("help 9"), json.find("help 8"));  // newest first
  EXPECT_EQ(store.bytes(), 1 + 4 * (7 + 6));            // "x" + 4 x ("counter" + "help N")
}

TEST_F(MetadataStoreTest, FamiliesAndBytesAreBoundedAndDropsCounted) {
  MetadataStore::Options options;
  options.max_families = 2;
  options.max_bytes = 100;
  MetadataStore store(options);
  Store(store, Meta(1, "a", "x") + Meta(1, "b", "y") + Meta(1, "c", "z"));
  EXPECT_EQ(store.num_families(), 2u);
  EXPECT_EQ(store.dropped(), 1u);
  EXPECT_EQ(Json(store, "c"), "{}");
  // Known families still take new descriptions, within the bytes.
  Store(store, Meta(1, "a", "newer"));
  EXPECT_EQ(store.dropped(), 1u);
  Store(store, Meta(1, "a", std::string(100, 'h')));
  EXPECT_EQ(store.dropped(), 2u);
  EXPECT_LE(store.bytes(), 100u);
  EXPECT_EQ(Json(store, "a"), R"({"a":[{"type":"counter","help":"newer","unit":""},)"
                              R"({"type":"counter","help":"x","unit":""}]})");
}

}  // namespace
}  // namespace strata::server
