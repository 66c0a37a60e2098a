// Tests of `strata verify`: the real binary on a directory the engine
// wrote, on the Prometheus 2.42 fixture, and on copies damaged byte by byte.
// Each damage must give exit 1 and a finding that names the file and an
// offset the damaged byte lies in.
#include <filesystem>
#include <regex>
#include <string>
#include <string_view>

#include "base/json.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/prometheus_fixture.h"
#include "tests/tools/verify_inspect_fixture.h"

namespace strata::tools {
namespace {

using testutil::FlipByte;
using testutil::ReadFileBytes;
using testutil::ReadToc;
using testutil::RunStrata;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path() + "/data";
    testutil::MakeDataDir(dir_);
    const auto blocks = testutil::BlockDirs(dir_);
    ASSERT_FALSE(blocks.empty());
    block_ = blocks.front();
  }
  std::string BlockFile(const std::string& name) const { return dir_ + "/" + block_ + "/" + name; }

  // The offset of the finding on `file` (relative) whose message matches
  // `what`, or -1.
  static int64_t FindingOffset(const std::string& output, const std::string& file,
                               const std::string& what) {
    const std::regex re("(^|\\n)" +
                        std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                        ": offset ([0-9]+): [^\\n]*" + what);
    std::smatch m;
    if (!std::regex_search(output, m, re)) return -1;
    return std::stoll(m[2]);
  }

  testing::TempDir tmp_{"strata_verify_test"};
  std::string dir_;
  std::string block_;
};

TEST_F(VerifyTest, CleanDirectoryPassesAndIsNotChanged) {
  const auto before = testutil::Snapshot(dir_);
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 0) << r.all;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\d+ blocks?, 1 WAL .*, 0 problems)")))
      << r.out;
  EXPECT_EQ(testutil::Snapshot(dir_), before);
}

TEST_F(VerifyTest, PrometheusFixturePasses) {
  const auto r = RunStrata("verify " + testing::PrometheusFixtureDataDir());
  EXPECT_EQ(r.exit_code, 0) << r.all;
  EXPECT_NE(r.out.find("1 block, 1 WAL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 problems"), std::string::npos) << r.out;
}

TEST_F(VerifyTest, TruncatedChunkFile) {
  const std::string path = BlockFile("chunks/000001");
  std::string data = ReadFileBytes(path);
  const uint64_t new_size = data.size() - 10;
  data.resize(new_size);
  testutil::WriteFileBytes(path, data);
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  const int64_t off = FindingOffset(r.out, block_ + "/chunks/000001", "truncated");
  ASSERT_GE(off, 8) << r.out;
  EXPECT_LT(off, static_cast<int64_t>(new_size));
  // The chunk the index references in the lost tail is reported once, with
  // the segment; the samples it held are missing from the block's count.
  EXPECT_NE(r.out.find(block_ + "/meta.json: stats.numSamples is"), std::string::npos) << r.out;
}

TEST_F(VerifyTest, FlippedBitInChunk) {
  const std::string path = BlockFile("chunks/000001");
  const uint64_t flipped = ReadFileBytes(path).size() / 2;
  FlipByte(path, flipped);
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  const int64_t off = FindingOffset(r.out, block_ + "/chunks/000001", "CRC mismatch");
  ASSERT_GE(off, 8) << r.out;
  EXPECT_LE(off, static_cast<int64_t>(flipped));
  EXPECT_LT(flipped - off, 1024u) << r.out;  // the chunk holding the byte
}

// A chunk whose encoding byte is unknown but whose CRC is right (what a
// future format would look like): verify reports it at its offset, and
// the tools that read samples fail with the same location, never crash.
TEST_F(VerifyTest, UnknownChunkEncodingIsLocated) {
  const std::string path = BlockFile("chunks/000001");
  std::string data = ReadFileBytes(path);
  std::string_view in = std::string_view(data).substr(8);
  uint64_t len;
  ASSERT_TRUE(compression::ConsumeUvarint(&in, &len));
  const size_t enc_at = data.size() - in.size();
  data[enc_at] = 7;
  const uint32_t crc = compression::crc32c::Value(std::string_view(data).substr(enc_at, 1 + len));
  for (size_t i = 0; i < 4; ++i)
    data[enc_at + 1 + len + i] = static_cast<char>(crc >> (24 - 8 * i));
  testutil::WriteFileBytes(path, data);

  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  EXPECT_EQ(FindingOffset(r.out, block_ + "/chunks/000001", "unknown chunk encoding 7"), 8)
      << r.out;
  const auto dump = RunStrata("dump " + dir_);
  EXPECT_GT(dump.exit_code, 0) << dump.all;
  EXPECT_NE(dump.all.find("chunks/000001 offset 8: unknown chunk encoding 7"), std::string::npos)
      << dump.all;
}

struct IndexDamage {
  const char* name;
  const char* what;  // the expected message
};

class VerifyIndexTest : public VerifyTest, public ::testing::WithParamInterface<IndexDamage> {};

TEST_P(VerifyIndexTest, FlippedByteIsLocated) {
  const std::string path = BlockFile("index");
  const auto toc = ReadToc(path);
  const uint64_t size = ReadFileBytes(path).size();
  const std::string section = GetParam().name;
  uint64_t flipped = 0, want_lo = 0, want_hi = 0;  // the reported offset must lie in [lo, hi]
  if (section == "symbols") {
    flipped = toc[0] + 4 + 4 + 2;  // inside the first symbol
    want_lo = want_hi = toc[0];
  } else if (section == "series") {
    const uint64_t first = (toc[1] + 15) / 16 * 16;
    flipped = first + 3;  // inside the first series entry
    want_lo = want_hi = first;
  } else if (section == "postings") {
    const uint64_t first = (toc[4] + 3) / 4 * 4;
    flipped = first + 6;  // the count of the first postings list
    want_lo = want_hi = first;
  } else {  // TOC checksum
    flipped = size - 2;
    want_lo = want_hi = size - 52;
  }
  FlipByte(path, flipped);
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  const int64_t off = FindingOffset(r.out, block_ + "/index", GetParam().what);
  EXPECT_GE(off, static_cast<int64_t>(want_lo)) << r.out;
  EXPECT_LE(off, static_cast<int64_t>(want_hi)) << r.out;
  EXPECT_LE(off, static_cast<int64_t>(flipped));
  // The rest of the directory was checked too.
  EXPECT_NE(r.out.find("1 WAL"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Sections, VerifyIndexTest,
    ::testing::Values(IndexDamage{"symbols", "symbol table CRC mismatch"},
                      IndexDamage{"series", "series entry CRC mismatch"},
                      IndexDamage{"postings", "postings list of .* CRC mismatch"},
                      IndexDamage{"toc", "TOC CRC mismatch"}),
    [](const ::testing::TestParamInfo<IndexDamage>& info) { return std::string(info.param.name); });

TEST_F(VerifyTest, MissingMetaJson) {
  std::filesystem::remove(BlockFile("meta.json"));
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  EXPECT_NE(r.out.find(block_ + "/meta.json: missing"), std::string::npos) << r.out;
}

TEST_F(VerifyTest, DamagedTombstones) {
  const std::string path = BlockFile("tombstones");
  ASSERT_TRUE(std::filesystem::exists(path));
  const uint64_t size = ReadFileBytes(path).size();
  FlipByte(path, 6);  // inside the first tombstone
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  EXPECT_EQ(FindingOffset(r.out, block_ + "/tombstones", "checksum mismatch"),
            static_cast<int64_t>(size - 4))
      << r.out;
}

TEST_F(VerifyTest, DamagedWalRecord) {
  const std::string path = dir_ + "/wal/00000000";
  ASSERT_TRUE(std::filesystem::exists(path));
  FlipByte(path, 9);  // data of the first fragment, whose header is at 0
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  EXPECT_EQ(FindingOffset(r.out, "wal/00000000", "checksum"), 0) << r.out;
}

TEST_F(VerifyTest, TornWalTailIsOnlyAWarning) {
  std::vector<std::string> segments;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/wal")) {
    if (e.is_regular_file()) segments.push_back(e.path().string());
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_FALSE(segments.empty());
  std::string data = ReadFileBytes(segments.back());
  // Cut inside the last record (the writer may have zero-padded the page).
  const size_t last = data.find_last_not_of('\0');
  ASSERT_NE(last, std::string::npos);
  ASSERT_GT(last, 8u);
  data.resize(last);
  testutil::WriteFileBytes(segments.back(), data);
  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 0) << r.all;
  EXPECT_NE(r.out.find("warning: wal/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("torn tail"), std::string::npos) << r.out;
  EXPECT_EQ(ReadFileBytes(segments.back()).size(), data.size());  // not repaired
}

TEST_F(VerifyTest, ReportsEveryDamageInOneRunAndAsJson) {
  const std::string chunks = BlockFile("chunks/000001");
  FlipByte(chunks, ReadFileBytes(chunks).size() / 2);
  const auto toc = ReadToc(BlockFile("index"));
  FlipByte(BlockFile("index"), (toc[1] + 15) / 16 * 16 + 3);
  FlipByte(BlockFile("tombstones"), 6);
  FlipByte(dir_ + "/wal/00000000", 9);

  const auto r = RunStrata("verify " + dir_);
  EXPECT_EQ(r.exit_code, 1) << r.all;
  for (const std::string file : {"/chunks/000001", "/index", "/tombstones"}) {
    EXPECT_NE(r.out.find(block_ + file + ": offset "), std::string::npos) << file << r.out;
  }
  EXPECT_NE(r.out.find("wal/00000000: offset 0: "), std::string::npos) << r.out;

  const auto j = RunStrata("verify --json " + dir_);
  EXPECT_EQ(j.exit_code, 1);
  auto json = ParseJson(j.out);
  ASSERT_TRUE(json.ok()) << json.status() << j.out;
  const JsonValue* findings = json->Find("findings");
  ASSERT_NE(findings, nullptr);
  const JsonValue* problems = json->Find("problems");
  ASSERT_NE(problems, nullptr);
  uint64_t json_problems = 0;
  for (const JsonValue& f : findings->array()) {
    ASSERT_NE(f.Find("file"), nullptr);
    ASSERT_NE(f.Find("message"), nullptr);
    if (f.Find("severity")->string_value() == "problem") ++json_problems;
    // Each finding is also in the human output.
    const JsonValue* off = f.Find("offset");
    const std::string line = f.Find("file")->string_value() + ": " +
                             (off != nullptr ? "offset " + off->string_value() + ": " : "") +
                             f.Find("message")->string_value();
    EXPECT_NE(r.out.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(static_cast<uint64_t>(*problems->AsInt64()), json_problems);
  EXPECT_GE(json_problems, 4u);
  EXPECT_NE(r.out.find(problems->string_value() + " problems"), std::string::npos) << r.out;
}

TEST(VerifyUsageTest, MissingDirectoryOrBadFlag) {
  auto r = RunStrata("verify /nonexistent/strata-dir");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.all.find("not a directory"), std::string::npos) << r.all;
  r = RunStrata("verify --no-such-flag /tmp");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.all.find("no-such-flag"), std::string::npos) << r.all;
  r = RunStrata("verify");
  EXPECT_EQ(r.exit_code, 2);
  r = RunStrata("verify --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace strata::tools
