#include "tools/flag_parser.h"

#include "gtest/gtest.h"

namespace strata::tools {
namespace {

TEST(FlagParserTest, ParsesPrometheusStyleFlags) {
  std::string path = "./data";
  int64_t n = 1;
  double ratio = 0.5;
  bool admin = false, compress = true;
  FlagParser f("strata x", "test");
  f.String("storage.path", &path, "where");
  f.Int("n", &n, "count");
  f.Double("ratio", &ratio, "ratio");
  f.Bool("web.enable-admin-api", &admin, "admin");
  f.Bool("wal.compression", &compress, "compress");
  auto rest = f.Parse({"--storage.path=/tmp/d", "pos1", "--n", "42", "--ratio=0.25",
                       "--web.enable-admin-api", "--no-wal.compression", "--", "--pos2"});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(path, "/tmp/d");
  EXPECT_EQ(n, 42);
  EXPECT_EQ(ratio, 0.25);
  EXPECT_TRUE(admin);
  EXPECT_FALSE(compress);
  EXPECT_EQ(*rest, (std::vector<std::string>{"pos1", "--pos2"}));
  EXPECT_FALSE(f.help_requested());
}

TEST(FlagParserTest, RepeatedFlagCollectsEveryValue) {
  std::vector<std::string> match;
  FlagParser f("strata dump DIR", "test");
  f.StringList("match", &match, "selector");
  auto rest = f.Parse({"--match", "up", "dir", "--match={job=\"a\"}"});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(match, (std::vector<std::string>{"up", "{job=\"a\"}"}));
  EXPECT_EQ(*rest, (std::vector<std::string>{"dir"}));
}

TEST(FlagParserTest, ErrorsNameTheFlag) {
  int64_t n = 1;
  FlagParser f("strata x", "test");
  f.Int("n", &n, "count");
  auto bad = f.Parse({"--n=x"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "flag --n: \"x\" is not an integer");
  EXPECT_EQ(f.Parse({"--m=1"}).status().message(), "unknown flag --m (see --help)");
  EXPECT_EQ(f.Parse({"--n"}).status().message(), "flag --n needs a value");
}

TEST(FlagParserTest, HelpShowsDefaults) {
  std::string path = "./data";
  FlagParser f("strata serve [flags]", "Runs the server.");
  f.String("storage.path", &path, "data directory");
  ASSERT_TRUE(f.Parse({"-h"}).ok());
  EXPECT_TRUE(f.help_requested());
  const std::string help = f.Help();
  EXPECT_NE(help.find("usage: strata serve [flags]"), std::string::npos);
  EXPECT_NE(help.find("--storage.path"), std::string::npos);
  EXPECT_NE(help.find("(default: ./data)"), std::string::npos);
}

}  // namespace
}  // namespace strata::tools
