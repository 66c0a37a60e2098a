// Shared by verify_test.cc and inspect_test.cc: builds a small data
// directory with the engine (one block, a head in the WAL, tombstones),
// runs the real `strata` binary, and edits bytes of files to damage them.
#ifndef STRATA_TESTS_TOOLS_VERIFY_INSPECT_FIXTURE_H_
#define STRATA_TESTS_TOOLS_VERIFY_INSPECT_FIXTURE_H_

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "strata/db.h"
#include "tests/testing/process.h"

namespace strata::tools::testutil {

struct Result {
  int exit_code;
  std::string out;  // stdout only
  std::string all;  // stdout and stderr
};

inline Result RunStrata(const std::string& args) {
  Result r{-1, "", ""};
  for (int pass = 0; pass < 2; ++pass) {
    const std::string cmd =
        std::string(STRATA_BINARY) + " " + args + (pass == 0 ? " 2>/dev/null" : " 2>&1");
    FILE* pipe = ::popen(cmd.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string output;
    std::array<char, 4096> buf;
    while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) output.append(buf.data(), n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    (pass == 0 ? r.out : r.all) = output;
  }
  return r;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFileBytes(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline void FlipByte(const std::string& path, uint64_t offset) {
  std::string data = ReadFileBytes(path);
  ASSERT_LT(offset, data.size()) << path;
  data[offset] = static_cast<char>(data[offset] ^ 0x5A);
  WriteFileBytes(path, data);
}

inline uint64_t BE64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

// The six TOC offsets of an index file (index.md "TOC").
inline std::array<uint64_t, 6> ReadToc(const std::string& index_path) {
  const std::string data = ReadFileBytes(index_path);
  std::array<uint64_t, 6> toc{};
  const size_t at = data.size() - 52;
  for (size_t i = 0; i < 6; ++i) toc[i] = BE64(data, at + 8 * i);
  return toc;
}

// Every file under `dir` with its bytes, to show a command changed nothing.
inline std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = ReadFileBytes(e.path().string());
  }
  return out;
}

inline std::vector<std::string> BlockDirs(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name.size() == 26) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What MakeDataDir wrote.
struct Written {
  uint64_t samples = 0;
  std::map<std::string, uint64_t> series_per_metric;
  std::map<std::string, uint64_t> samples_per_metric;
};

inline constexpr int64_t kStartMs = 1'700'000'000'000;
inline constexpr int64_t kStepMs = 15'000;

// Writes 4 h of samples of three metrics (m_a: 5 series, m_b: 2, m_c: 1,
// with m_c sampled twice as often), compacts the old part into a block, and
// deletes a range of m_b so the block has tombstones. The rest stays in the
// head (WAL + chunks_head).
inline Written MakeDataDir(const std::string& dir) {
  Written w;
  Options options;
  options.background_compaction = false;
  options.wal_sync = WalSyncPolicy::kNever;
  auto db = DB::Open(options, dir);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return w;
  struct S {
    std::string metric, instance;
    int64_t step;
  };
  std::vector<S> series;
  for (int i = 0; i < 5; ++i) series.push_back({"m_a", "host-" + std::to_string(i), kStepMs});
  for (int i = 0; i < 2; ++i) series.push_back({"m_b", "host-" + std::to_string(i), kStepMs});
  series.push_back({"m_c", "host-0", kStepMs / 2});
  for (const S& s : series) ++w.series_per_metric[s.metric];
  const int64_t end = kStartMs + 4 * 3600 * 1000;
  for (int64_t t = kStartMs; t < end; t += kStepMs / 2) {
    auto app = (*db)->NewAppender();
    for (const S& s : series) {
      if ((t - kStartMs) % s.step != 0) continue;
      auto ref = app->Append({{"__name__", s.metric}, {"instance", s.instance}, {"job", "test"}}, t,
                             static_cast<double>(t % 1000));
      EXPECT_TRUE(ref.ok()) << ref.status();
      ++w.samples;
      ++w.samples_per_metric[s.metric];
    }
    EXPECT_TRUE(app->Commit().ok());
  }
  EXPECT_TRUE((*db)->Compact().ok());
  std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "__name__", "m_b"}};
  EXPECT_TRUE((*db)->Delete(kStartMs, kStartMs + 60'000, m).ok());
  EXPECT_TRUE((*db)->Close().ok());
  return w;
}

}  // namespace strata::tools::testutil

#endif  // STRATA_TESTS_TOOLS_VERIFY_INSPECT_FIXTURE_H_
