#include "tests/testing/fault_env.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/mem_env.h"

namespace strata::testing {
namespace {

TEST(MemEnvTest, FilesDirectoriesAndRename) {
  MemEnv env;
  EXPECT_EQ(env.NewWritableFile("/d/f").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(env.CreateDirs("/d/sub").ok());
  auto f = env.NewWritableFile("/d/sub/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("hello").ok());
  EXPECT_EQ(*env.GetFileSize("/d/sub/f"), 5u);
  auto children = env.GetChildren("/d");
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{"sub"});
  ASSERT_TRUE(env.Rename("/d/sub", "/d/moved").ok());
  EXPECT_EQ(*env.Contents("/d/moved/f"), "hello");
  EXPECT_FALSE(env.FileExists("/d/sub/f"));
  auto map = env.MapFile("/d/moved/f");
  ASSERT_TRUE(map.ok());
  ASSERT_TRUE(env.RemoveAll("/d").ok());
  EXPECT_EQ((*map)->data(), "hello");  // a mapping outlives the file
  EXPECT_FALSE(env.IsDirectory("/d"));
}

TEST(FaultEnvTest, PowerLossKeepsOnlySyncedBytesAndSyncedEntries) {
  MemEnv mem;
  FaultEnv env(mem);
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  auto a = env.NewWritableFile("/d/a");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Append("synced").ok());
  ASSERT_TRUE((*a)->Sync().ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  ASSERT_TRUE((*a)->Append(" lost").ok());
  auto b = env.NewWritableFile("/d/b");  // its directory entry is never synced
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Append("x").ok());
  ASSERT_TRUE((*b)->Sync().ok());
  env.SetActive(false);
  ASSERT_TRUE((*a)->Append(" after crash").ok());
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  EXPECT_EQ(*mem.Contents("/d/a"), "synced");
  EXPECT_FALSE(mem.FileExists("/d/b"));
}

TEST(FaultEnvTest, FailedSyncLosesTheUnsyncedBytesEvenAfterALaterGoodSync) {
  MemEnv mem;
  FaultEnv env(mem);
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  auto f = env.NewWritableFile("/d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  ASSERT_TRUE((*f)->Append("good").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("lost").ok());
  env.FailNextSyncs(1);
  const Status failed = (*f)->Sync();
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("/d/f"), std::string_view::npos) << failed;
  EXPECT_EQ(env.failed_syncs(), 1);
  // The next sync succeeds, but cannot bring back what the failed one lost.
  ASSERT_TRUE((*f)->Append("later").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(*mem.Contents("/d/f"), "goodlostlater");  // before the crash: still readable
  env.SetActive(false);
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  EXPECT_EQ(*mem.Contents("/d/f"), std::string("good\0\0\0\0later", 13));
}

TEST(FaultEnvTest, FailedSyncCountsDownAndCutBytesAreNotLostAgain) {
  MemEnv mem;
  FaultEnv env(mem);
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  auto f = env.NewWritableFile("/d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir("/d").ok());
  ASSERT_TRUE((*f)->Append("good").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("lost").ok());
  env.FailNextSyncs(2);
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(env.failed_syncs(), 2);
  ASSERT_TRUE((*f)->Close().ok());
  // Cut back to the good prefix and written again: the new bytes survive.
  ASSERT_TRUE(env.Truncate("/d/f", 4).ok());
  auto g = env.NewAppendableFile("/d/f");
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Append("again").ok());
  ASSERT_TRUE((*g)->Sync().ok());
  env.SetActive(false);
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  EXPECT_EQ(*mem.Contents("/d/f"), "goodagain");
}

TEST(FaultEnvTest, InjectedWriteErrorAndFullDisk) {
  MemEnv mem;
  FaultEnv env(mem);
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  auto f = env.NewWritableFile("/d/f");
  ASSERT_TRUE(f.ok());
  env.SetWriteError(absl::InternalError("EIO"));
  EXPECT_EQ((*f)->Append("x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ((*f)->Sync().code(), absl::StatusCode::kInternal);
  env.SetWriteError(absl::OkStatus());
  env.SetDiskLimit(4);
  EXPECT_EQ((*f)->Append("abcdef").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*mem.Contents("/d/f"), "abcd");  // a short write
  EXPECT_EQ((*f)->Append("g").code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace strata::testing
