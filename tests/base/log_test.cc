#include "base/log.h"

#include <string>
#include <vector>

#include "base/check.h"
#include "base/json.h"
#include "base/mutex.h"
#include "gtest/gtest.h"

namespace strata::log {
namespace {

// A logger whose lines land in a vector.
class Captured {
 public:
  Captured()
      : logger_([this](std::string_view line) {
          MutexLock l(&mu_);
          lines_.emplace_back(line);
        }) {}

  Logger& logger() { return logger_; }
  std::vector<std::string> lines() {
    MutexLock l(&mu_);
    return lines_;
  }

 private:
  Mutex mu_;
  std::vector<std::string> lines_;
  Logger logger_;
};

TEST(LogTest, LogfmtLineHasLevelTimeCallerMessageAndFields) {
  Logger logger([](std::string_view) {});
  const std::string line =
      logger.FormatLine(Level::kInfo, "2026-12-07T22:09:34.123Z", "/src/tools/serve.cc", 42,
                        "Listening", {{"address", "127.0.0.1:9201"}, {"threads", 2}});
  EXPECT_EQ(line,
            "level=info ts=2026-12-07T22:09:34.123Z caller=serve.cc:42 msg=Listening "
            "address=127.0.0.1:9201 threads=2\n");
}

TEST(LogTest, LogfmtQuotesAndEscapesValuesThatNeedIt) {
  Logger logger([](std::string_view) {});
  const std::string line = logger.FormatLine(Level::kWarn, "T", "a.cc", 1, "Server is ready",
                                             {{"err", "a \"b\" c\\d"},
                                              {"eq", "k=v"},
                                              {"nl", "x\ny\tz"},
                                              {"ctl", std::string("\x01", 1)},
                                              {"empty", ""},
                                              {"bad key", true}});
  EXPECT_EQ(line,
            "level=warn ts=T caller=a.cc:1 msg=\"Server is ready\" err=\"a \\\"b\\\" c\\\\d\" "
            "eq=\"k=v\" nl=\"x\\ny\\tz\" ctl=\"\\u0001\" empty= bad_key=true\n");
}

TEST(LogTest, JsonLineIsOneValidObjectWithEscapedStrings) {
  Logger logger([](std::string_view) {});
  logger.set_format(Format::kJson);
  const std::string line = logger.FormatLine(
      Level::kError, "2026-12-07T22:09:34.123Z", "engine/db_impl.cc", 7, "compaction \"failed\"",
      {{"err", Status(absl::DataLossError("index: bad\nchecksum"))},
       {"bytes", std::string("\xff\xfe", 2)},
       {"ratio", 0.25}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  StatusOr<JsonValue> v = ParseJson(line);
  ASSERT_TRUE(v.ok()) << v.status() << ": " << line;
  ASSERT_EQ(v->object().size(), 7u);
  EXPECT_EQ(v->object()[0].first, "level");
  EXPECT_EQ(v->Find("level")->string_value(), "error");
  EXPECT_EQ(v->Find("ts")->string_value(), "2026-12-07T22:09:34.123Z");
  EXPECT_EQ(v->Find("caller")->string_value(), "db_impl.cc:7");
  EXPECT_EQ(v->Find("msg")->string_value(), "compaction \"failed\"");
  EXPECT_EQ(v->Find("err")->string_value(), "index: bad\nchecksum");
  EXPECT_EQ(v->Find("bytes")->string_value(), "\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFD twice
  EXPECT_EQ(v->Find("ratio")->string_value(), "0.25");
}

TEST(LogTest, LevelFiltersLowerLevels) {
  Captured c;
  c.logger().Log(Level::kDebug, "hidden", {});
  c.logger().Log(Level::kInfo, "shown", {});
  c.logger().set_level(Level::kWarn);
  c.logger().Log(Level::kInfo, "hidden", {});
  c.logger().Log(Level::kWarn, "warned", {});
  c.logger().Log(Level::kError, "failed", {});
  c.logger().set_level(Level::kDebug);
  c.logger().Log(Level::kDebug, "debugged", {});
  const std::vector<std::string> lines = c.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines[0].starts_with("level=info ")) << lines[0];
  EXPECT_NE(lines[0].find(" msg=shown\n"), std::string::npos) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("level=warn ")) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("level=error ")) << lines[2];
  EXPECT_TRUE(lines[3].starts_with("level=debug ")) << lines[3];
}

TEST(LogTest, CallerIsTheCallSiteAndTimeIsRfc3339Millis) {
  Captured c;
  const int line = __LINE__ + 1;
  c.logger().Log(Level::kInfo, "here", {});
  const std::vector<std::string> lines = c.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(" caller=log_test.cc:" + std::to_string(line) + " "), std::string::npos)
      << lines[0];
  // ts=YYYY-MM-DDTHH:MM:SS.mmmZ
  const size_t ts = lines[0].find(" ts=");
  ASSERT_NE(ts, std::string::npos);
  const std::string value = lines[0].substr(ts + 4, 24);
  EXPECT_EQ(value.size(), 24u);
  EXPECT_EQ(value[10], 'T') << value;
  EXPECT_EQ(value[19], '.') << value;
  EXPECT_EQ(value[23], 'Z') << value;
}

// A failed STRATA_CHECK is a log line too, so a JSON log stays JSON to the
// end.
TEST(LogDeathTest, FailedCheckIsAnErrorLineInTheLogFormat) {
  EXPECT_DEATH(
      {
        Default().set_format(Format::kJson);
        STRATA_CHECK(1 + 1 == 3) << "arithmetic";
      },
      R"(^\{"level":"error","ts":"[^"]+","caller":"log_test.cc:[0-9]+","msg":"check failed: 1 \+ 1 == 3 arithmetic"\})");
}

}  // namespace
}  // namespace strata::log
