#include "base/status_macros.h"

#include "gtest/gtest.h"

namespace strata {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

Status Quarter(int x, int* out) {
  STRATA_ASSIGN_OR_RETURN(int half, Half(x));
  STRATA_ASSIGN_OR_RETURN(*out, Half(half));
  return absl::OkStatus();
}

Status Chain(int x) {
  int q;
  STRATA_RETURN_IF_ERROR(Quarter(x, &q));
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  int q = 0;
  EXPECT_TRUE(Quarter(8, &q).ok());
  EXPECT_EQ(q, 2);
  EXPECT_EQ(Quarter(6, &q).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(3).message(), "odd");
  EXPECT_TRUE(Chain(4).ok());
}

TEST(StatusMacrosTest, AnnotateKeepsCodeAndPrefixesContext) {
  Status s = Annotate(absl::DataLossError("checksum mismatch"), "wal/00000042 offset 98304");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "wal/00000042 offset 98304: checksum mismatch");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

}  // namespace
}  // namespace strata
