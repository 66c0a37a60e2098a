// Drives the real `strata` binary: subcommands, output and exit codes.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "gtest/gtest.h"

namespace strata::tools {
namespace {

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr
};

Result RunStrata(const std::string& args) {
  const std::string cmd = std::string(STRATA_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  Result r{-1, ""};
  std::array<char, 4096> buf;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(StrataCliTest, VersionPrintsTheVersion) {
  const Result r = RunStrata("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(^strata, version \d+\.\d+\.\d+)")))
      << r.output;
}

TEST(StrataCliTest, ChunkStatsEndsWithTheMixLine) {
  const Result r = RunStrata("chunk-stats --hosts 1 --samples 240");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex(R"(mix: (\d+\.\d+) bytes/sample\n$)")))
      << r.output;
  const double bytes = std::stod(m[1]);
  EXPECT_GT(bytes, 0.1);
  EXPECT_LT(bytes, 8.0);
  for (const char* shape : {"constant", "busy counter", "histogram bucket", "gauge (2 decimals)"}) {
    EXPECT_NE(r.output.find(shape), std::string::npos) << shape;
  }
}

TEST(StrataCliTest, HelpListsCommandsAndFlags) {
  Result r = RunStrata("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("chunk-stats"), std::string::npos);
  r = RunStrata("chunk-stats --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("--hosts"), std::string::npos) << r.output;
}

TEST(StrataCliTest, UsageErrorsExitWithTwoAndSayWhat) {
  Result r = RunStrata("no-such-command");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command \"no-such-command\""), std::string::npos) << r.output;
  r = RunStrata("chunk-stats --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown flag --bogus"), std::string::npos) << r.output;
  r = RunStrata("chunk-stats --hosts many");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--hosts: invalid integer \"many\""), std::string::npos) << r.output;
  r = RunStrata("");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace strata::tools
