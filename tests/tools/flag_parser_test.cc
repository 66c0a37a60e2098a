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
  EXPECT_EQ(bad.status().message(), "--n: invalid integer \"x\"");
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

TEST(FlagParserTest, DurationsTakePrometheusSyntax) {
  absl::Duration d = absl::Hours(15 * 24);
  FlagParser f("strata x", "test");
  f.Duration("retention.time", &d, "retention");
  const std::pair<const char*, absl::Duration> good[] = {
      {"15s", absl::Seconds(15)},
      {"1m30s", absl::Seconds(90)},
      {"2h", absl::Hours(2)},
      {"90d", absl::Hours(90 * 24)},
      {"1y", absl::Hours(365 * 24)},
      {"2w", absl::Hours(14 * 24)},
      {"1h30m500ms", absl::Minutes(90) + absl::Milliseconds(500)},
      {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},
  };
  for (const auto& [text, want] : good) {
    ASSERT_TRUE(f.Parse({std::string("--retention.time=") + text}).ok()) << text;
    EXPECT_EQ(d, want) << text;
  }
  const std::string syntax =
      "want <number><unit> parts, largest unit first, units y, w, d, h, m, s, ms (e.g. 15s, "
      "1m30s, 90d), or 0";
  for (const char* text : {"5x", "", "15", "1.5h", "-1s", "30s1m", "1h1h", "s"}) {
    EXPECT_EQ(f.Parse({std::string("--retention.time=") + text}).status().message(),
              "--retention.time: invalid duration \"" + std::string(text) + "\": " + syntax)
        << text;
  }
  EXPECT_EQ(f.Parse({"--retention.time=999999999y"}).status().message(),
            "--retention.time: invalid duration \"999999999y\": out of range");
}

TEST(FlagParserTest, DurationsShowAsPrometheusPrintsThem) {
  absl::Duration a = absl::Hours(15 * 24), b = absl::Seconds(90), c = absl::ZeroDuration();
  FlagParser f("strata x", "test");
  f.Duration("a", &a, "a");
  f.Duration("b", &b, "b");
  f.Duration("c", &c, "c");
  EXPECT_NE(f.Help().find("(default: 15d)"), std::string::npos) << f.Help();
  ASSERT_TRUE(f.Parse({"--c=2w"}).ok());
  using V = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(f.Values(), (V{{"a", "15d"}, {"b", "1m30s"}, {"c", "2w"}}));
  EXPECT_EQ(FormatFlagDuration(absl::ZeroDuration()), "0s");
}

TEST(FlagParserTest, ByteSizesTakePrometheusUnits) {
  uint64_t n = 7;
  FlagParser f("strata x", "test");
  f.ByteSize("retention.size", &n, "size");
  constexpr uint64_t kKi = 1024;
  const std::pair<const char*, uint64_t> good[] = {
      {"0", 0},
      {"512", 512},  // bare bytes, accepted before units were
      {"512B", 512},
      {"1KB", kKi},
      {"512MB", 512 * kKi * kKi},
      {"100GB", 100 * kKi * kKi * kKi},
      {"2TB", 2 * kKi * kKi * kKi * kKi},
      {"1PB", kKi * kKi * kKi * kKi * kKi},
      {"1EB", kKi * kKi * kKi * kKi * kKi * kKi},
      {"1KiB", kKi},
      {"1GiB", kKi * kKi * kKi},
      {"3EiB", 3 * kKi * kKi * kKi * kKi * kKi * kKi},
      {"1.5GB", 3 * kKi * kKi * kKi / 2},
      {"1GB512MB", 3 * kKi * kKi * kKi / 2},
      {"0MB", 0},
  };
  for (const auto& [text, want] : good) {
    ASSERT_TRUE(f.Parse({std::string("--retention.size=") + text}).ok()) << text;
    EXPECT_EQ(n, want) << text;
  }
  const std::string syntax =
      "want <number><unit> with units B, KB, MB, GB, TB, PB, EB or KiB ... EiB (powers of "
      "1024; e.g. 512MB, 1GiB), a number of bytes, or 0";
  const std::pair<const char*, std::string> bad[] = {
      {"5x", "unknown unit \"x\"; " + syntax},
      {"512mb", "unknown unit \"mb\"; " + syntax},
      {"1Mb", "unknown unit \"Mb\"; " + syntax},
      {"1.5", "missing unit; " + syntax},
      {"1GB5", "missing unit; " + syntax},
      {"", syntax},
      {"MB", syntax},
      {"-1MB", syntax},
      {"16EiB", "out of range"},
      {"99999999999999999999", "out of range"},
  };
  for (const auto& [text, why] : bad) {
    EXPECT_EQ(f.Parse({std::string("--retention.size=") + text}).status().message(),
              "--retention.size: invalid byte size \"" + std::string(text) + "\": " + why)
        << text;
  }
}

TEST(FlagParserTest, ByteSizesShowInTheLargestExactUnit) {
  EXPECT_EQ(FormatByteSize(0), "0");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
  EXPECT_EQ(FormatByteSize(32 << 20), "32MiB");
  EXPECT_EQ(FormatByteSize(uint64_t{3} << 40), "3TiB");
  for (uint64_t v : {uint64_t{0}, uint64_t{1000}, uint64_t{1536}, uint64_t{5} << 60}) {
    StatusOr<uint64_t> back = ParseByteSize(FormatByteSize(v));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, v);
  }
}

enum class Sync { kAlways, kInterval, kNever };

TEST(FlagParserTest, EnumsTakeOneOfTheirNames) {
  Sync sync = Sync::kInterval;
  FlagParser f("strata x", "test");
  f.Enum("wal.fsync", &sync,
         {{"always", Sync::kAlways}, {"interval", Sync::kInterval}, {"never", Sync::kNever}},
         "fsync");
  EXPECT_NE(f.Help().find("(default: interval)"), std::string::npos) << f.Help();
  ASSERT_TRUE(f.Parse({"--wal.fsync=never"}).ok());
  EXPECT_EQ(sync, Sync::kNever);
  ASSERT_TRUE(f.Parse({"--wal.fsync", "always"}).ok());
  EXPECT_EQ(sync, Sync::kAlways);
  EXPECT_EQ(f.Values(),
            (std::vector<std::pair<std::string, std::string>>{{"wal.fsync", "always"}}));
  for (const char* text : {"sometimes", "", "Always"}) {
    EXPECT_EQ(f.Parse({std::string("--wal.fsync=") + text}).status().message(),
              "--wal.fsync: invalid value \"" + std::string(text) +
                  "\": want one of always, interval, never")
        << text;
  }
  EXPECT_EQ(sync, Sync::kAlways);  // a bad value leaves the flag alone
}

TEST(FlagParserTest, OtherKindsNameTheFlagAndTheValue) {
  double ratio = 0;
  bool on = false;
  FlagParser f("strata x", "test");
  f.Double("ratio", &ratio, "ratio");
  f.Bool("on", &on, "on");
  EXPECT_EQ(f.Parse({"--ratio=half"}).status().message(), "--ratio: invalid number \"half\"");
  EXPECT_EQ(f.Parse({"--on=maybe"}).status().message(),
            "--on: invalid boolean \"maybe\": want true or false");
}

}  // namespace
}  // namespace strata::tools
