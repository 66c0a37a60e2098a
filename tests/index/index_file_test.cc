// Tests index/index_writer.h and index/index_reader.h: write -> read round
// trip, writer call-order errors, and damaged files (truncation, a flipped
// byte in each section) giving DataLoss that names the section.
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "gtest/gtest.h"
#include "index/format.h"
#include "index/index_reader.h"
#include "index/index_writer.h"
#include "index/mem_index.h"
#include "strata/env.h"
#include "tests/index/random_series.h"

namespace strata::index {
namespace {

struct Block {
  std::vector<Labels> series;  // sorted
  std::vector<std::vector<ChunkMeta>> chunks;
  std::vector<uint64_t> refs;  // as returned by AddSeries
  std::string bytes;           // the index file
};

std::string TempPath(std::string_view name) {
  return (std::filesystem::path(::testing::TempDir()) / std::string(name)).string();
}

Block WriteBlock(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Block b;
  b.series = testing::RandomSeries(rng, n);
  std::sort(b.series.begin(), b.series.end());
  std::set<std::string> symbols;
  for (const Labels& ls : b.series) {
    for (const Label& l : ls) {
      symbols.emplace(l.name);
      symbols.emplace(l.value);
    }
  }
  const std::string path = TempPath("index_" + std::to_string(seed));
  auto w = IndexWriter::Create(*Env::Default(), path);
  EXPECT_TRUE(w.ok()) << w.status();
  for (const std::string& s : symbols) EXPECT_TRUE((*w)->AddSymbol(s).ok());
  for (size_t i = 0; i < b.series.size(); ++i) {
    std::vector<ChunkMeta> cs;
    int64_t t = static_cast<int64_t>(rng() % 1000000) - 500000;
    uint64_t ref = rng() % 100000;
    for (size_t k = rng() % 4; k > 0; --k) {
      ChunkMeta c{t, t + static_cast<int64_t>(rng() % 7200000), ref};
      t = c.max_time_ms + static_cast<int64_t>(rng() % 1000);
      ref += rng() % 5000;
      cs.push_back(c);
    }
    auto r = (*w)->AddSeries(b.series[i], cs);
    EXPECT_TRUE(r.ok()) << r.status();
    b.refs.push_back(*r);
    b.chunks.push_back(cs);
  }
  EXPECT_TRUE((*w)->Finish().ok());
  b.bytes = *ReadFileToString(*Env::Default(), path);
  return b;
}

// Reads every symbol, postings list and series; returns the first error.
Status ReadEverything(const IndexReader& r) {
  auto all = r.AllPostings();
  if (!all.ok()) return all.status();
  for (std::string_view name : r.LabelNames()) {
    for (std::string_view value : r.LabelValues(name)) {
      auto p = r.Postings(name, value);
      if (!p.ok()) return p.status();
    }
  }
  for (uint64_t ref : *all) {
    auto s = r.Series(ref);
    if (!s.ok()) return s.status();
  }
  return absl::OkStatus();
}

TEST(IndexFileTest, RoundTripsSymbolsPostingsSeriesAndChunkMetas) {
  const Block b = WriteBlock(300, 1);
  auto r = IndexReader::Open(*Env::Default(), TempPath("index_1"));
  ASSERT_TRUE(r.ok()) << r.status();
  IndexReader& ix = **r;
  EXPECT_TRUE(std::is_sorted(ix.Symbols().begin(), ix.Symbols().end()));
  EXPECT_EQ(*ix.AllPostings(), b.refs);
  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> want;
  for (size_t i = 0; i < b.series.size(); ++i) {
    auto s = ix.Series(b.refs[i]);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->labels, b.series[i]);
    EXPECT_EQ(s->chunks, b.chunks[i]);
    for (const Label& l : b.series[i])
      want[{std::string(l.name), std::string(l.value)}].push_back(b.refs[i]);
  }
  size_t pairs = 0;
  for (std::string_view name : ix.LabelNames()) {
    for (std::string_view value : ix.LabelValues(name)) {
      EXPECT_EQ(*ix.Postings(name, value), (want[{std::string(name), std::string(value)}]));
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, want.size());
  EXPECT_TRUE(ix.Postings("nope", "x")->empty());
  EXPECT_EQ(ix.Series(1).status().code(), absl::StatusCode::kNotFound);
}

TEST(IndexFileTest, PostingsForMatchersAgreesWithBruteForce) {
  const Block b = WriteBlock(300, 2);
  auto r = IndexReader::OpenBytes(b.bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  std::mt19937_64 rng(9);
  for (int round = 0; round < 1500; ++round) {
    std::vector<Matcher> ms;
    for (size_t k = 1 + rng() % 3; k > 0; --k) ms.push_back(testing::RandomMatcher(rng));
    const auto want = testing::BruteForceSelect(b.series, ms);
    auto got = (*r)->PostingsForMatchers(ms);
    if (!want) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ASSERT_TRUE(got.ok()) << got.status();
    std::vector<uint64_t> want_refs;
    for (size_t i : *want) want_refs.push_back(b.refs[i]);
    ASSERT_EQ(*got, want_refs);
  }
}

TEST(IndexFileTest, EmptyIndexHasNoSeries) {
  const std::string path = TempPath("index_empty");
  auto w = IndexWriter::Create(*Env::Default(), path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto r = IndexReader::Open(*Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->AllPostings()->empty());
  EXPECT_TRUE((*r)->LabelNames().empty());
}

// The worked example of docs/format/index.md ("The smallest index"): if
// this changes, the page must change with it.
TEST(IndexFileTest, EmptyIndexIsTheDocumentedBytes) {
  const std::string path = TempPath("index_documented");
  auto w = IndexWriter::Create(*Env::Default(), path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Finish().ok());
  // Each line: offset in the file, then the bytes (len | body | CRC32C).
  const std::string want_hex = absl::StrCat(
      /* 0x00 header */ "baaad70002",
      /* 0x05 symbol table, 0 symbols */ "00000004", "00000000", "48674bc7",
      /* 0x11 padding to 4 */ "000000",
      /* 0x14 all-postings list, 0 entries */ "00000004", "00000000", "48674bc7",
      /* 0x20 label offset table, 0 entries */ "00000004", "00000000", "48674bc7",
      /* 0x2c postings offset table: ("", "") at 0x14 */ "00000008", "0000000102000014", "dc9aaed7",
      /* 0x3c TOC */ "0000000000000005", "0000000000000011", "0000000000000011", "0000000000000020",
      "0000000000000011", "000000000000002c", "614badcc");
  auto got = ReadFileToString(*Env::Default(), path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 112u);
  EXPECT_EQ(absl::BytesToHexString(*got), want_hex);
}

TEST(IndexFileTest, WriterRejectsCallsOutOfOrder) {
  const std::string path = TempPath("index_order");
  auto w = IndexWriter::Create(*Env::Default(), path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddSymbol("a").ok());
  EXPECT_EQ((*w)->AddSymbol("a").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*w)->AddSymbol("b").ok());
  ASSERT_TRUE((*w)->AddSeries(Labels::FromPairs({{"b", "b"}}), {}).ok());
  EXPECT_EQ((*w)->AddSeries(Labels::FromPairs({{"a", "a"}}), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*w)->AddSeries(Labels::FromPairs({{"b", "c"}}), {}).status().code(),
            absl::StatusCode::kInvalidArgument);  // "c" is no symbol
  EXPECT_EQ((*w)->AddSymbol("c").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ((*w)->Finish().code(), absl::StatusCode::kFailedPrecondition);
  // The rejected series left no trace.
  auto r = IndexReader::Open(*Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->AllPostings()->size(), 1u);
  EXPECT_EQ((*r)->LabelValues("b"), (std::vector<std::string_view>{"b"}));
  EXPECT_EQ((*r)->Postings("b", "b")->size(), 1u);
}

void ExpectDataLoss(std::string_view bytes, std::string_view section, std::string_view what) {
  auto r = IndexReader::OpenBytes(bytes);
  Status s = r.ok() ? ReadEverything(**r) : r.status();
  ASSERT_FALSE(s.ok()) << what;
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << what << ": " << s;
  EXPECT_NE(std::string(s.message()).find(section), std::string::npos) << what << ": " << s;
}

TEST(IndexFileTest, TruncatedFileIsDataLoss) {
  const Block b = WriteBlock(50, 3);
  for (size_t len = 0; len < b.bytes.size(); len += 1 + len / 7) {
    auto r = IndexReader::OpenBytes(std::string_view(b.bytes).substr(0, len));
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << len;
  }
}

TEST(IndexFileTest, FlippedByteInEachSectionIsDataLossNamingIt) {
  const Block b = WriteBlock(50, 4);
  ASSERT_TRUE(ReadEverything(**IndexReader::OpenBytes(b.bytes)).ok());
  const char* toc = b.bytes.data() + b.bytes.size() - format::kTocSize;
  auto toc_at = [&](size_t i) { return compression::LoadBE64(toc + 8 * i); };
  struct Case {
    uint64_t offset;
    std::string_view section;
  };
  const std::vector<Case> cases = {
      {0, format::kSectionHeader},
      {4, format::kSectionHeader},
      {toc_at(format::kTocSymbols) + 9, format::kSectionSymbols},
      {b.refs[0] * 16 + 2, format::kSectionSeries},
      {b.refs.back() * 16 + 3, format::kSectionSeries},
      {toc_at(format::kTocLabelIndices) + 13, format::kSectionLabelIndex},
      {toc_at(format::kTocPostings) + 9, format::kSectionPostings},
      {toc_at(format::kTocLabelOffsetTable) + 6, format::kSectionLabelOffsets},
      {toc_at(format::kTocPostingsOffsetTable) + 10, format::kSectionPostingsOffsets},
      {b.bytes.size() - format::kTocSize + 3, format::kSectionToc},
      {b.bytes.size() - 1, format::kSectionToc},
  };
  for (const Case& c : cases) {
    for (int bit : {0, 7}) {
      std::string damaged = b.bytes;
      damaged[c.offset] ^= static_cast<char>(1 << bit);
      ExpectDataLoss(damaged, c.section, StrCat(c.section, " byte ", c.offset, " bit ", bit));
    }
  }
}

TEST(IndexFileTest, MissingFileIsNotFound) {
  auto r = IndexReader::Open(*Env::Default(), TempPath("no_such_index"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strata::index
