#include "server/http_params.h"

#include "gtest/gtest.h"

namespace strata::server {
namespace {

TEST(HttpParamsTest, DecodesPairsAndKeepsRepeatedNames) {
  HttpParams p;
  ASSERT_TRUE(p.AddUrlEncoded("query=rate(x%5B5m%5D)&match%5B%5D=up&match[]=%7Bjob%3D%22a%22%7D"
                              "&empty=&flag&sp=a+b")
                  .ok());
  EXPECT_EQ(p.Get("query"), "rate(x[5m])");
  ASSERT_EQ(p.GetAll("match[]").size(), 2u);
  EXPECT_EQ(p.GetAll("match[]")[1], "{job=\"a\"}");
  EXPECT_TRUE(p.Has("empty"));
  EXPECT_TRUE(p.Has("flag"));
  EXPECT_EQ(p.Get("flag"), "");
  EXPECT_EQ(p.Get("sp"), "a b");
  EXPECT_FALSE(p.Has("missing"));
}

TEST(HttpParamsTest, BadEscapesAreErrorsThatNameThem) {
  HttpParams p;
  Status st = p.AddUrlEncoded("a=%zz");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "invalid URL escape \"%zz\"");
  EXPECT_FALSE(p.AddUrlEncoded("a=%4").ok());
  EXPECT_FALSE(p.AddUrlEncoded("a=%").ok());
}

}  // namespace
}  // namespace strata::server
