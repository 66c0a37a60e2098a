#include "strata/env.h"

#include <stdlib.h>

#include <algorithm>
#include <string>

#include "gtest/gtest.h"

namespace strata {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_env_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(env_->RemoveAll(dir_).ok()); }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(EnvTest, WriteAppendReadBack) {
  const std::string path = dir_ + "/f";
  {
    auto f = env_->NewWritableFile(path);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append("hello ").ok());
    ASSERT_TRUE((*f)->Append(std::string(100000, 'x')).ok());  // larger than the buffer
    EXPECT_EQ((*f)->size(), 100006u);
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
    EXPECT_EQ((*f)->Append("late").code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    auto f = env_->NewAppendableFile(path);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->size(), 100006u);
    ASSERT_TRUE((*f)->Append("!").ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto data = ReadFileToString(*env_, path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 100007u);
  EXPECT_EQ(data->substr(0, 6), "hello ");
  EXPECT_EQ(data->back(), '!');

  auto map = env_->MapFile(path);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ((*map)->data(), *data);

  auto raf = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(raf.ok());
  char scratch[10];
  auto got = (*raf)->Read(100003, 10, scratch);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "xxx!");  // short read at the end
}

TEST_F(EnvTest, MissingFileIsNotFoundAndNamesThePath) {
  auto f = env_->NewRandomAccessFile(dir_ + "/missing");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(f.status().message()).find(dir_ + "/missing"), std::string::npos);
}

TEST_F(EnvTest, DirectoriesRenameTruncateAndLinks) {
  ASSERT_TRUE(env_->CreateDirs(dir_ + "/a/b/c").ok());
  EXPECT_TRUE(env_->IsDirectory(dir_ + "/a/b/c"));
  ASSERT_TRUE(WriteFileAtomic(*env_, dir_ + "/a/b/c/meta.json", "{}").ok());
  EXPECT_FALSE(env_->FileExists(dir_ + "/a/b/c/meta.json.tmp"));
  ASSERT_TRUE(env_->Link(dir_ + "/a/b/c/meta.json", dir_ + "/a/link").ok());
  ASSERT_TRUE(env_->Truncate(dir_ + "/a/link", 1).ok());
  EXPECT_EQ(*env_->GetFileSize(dir_ + "/a/b/c/meta.json"), 1u);  // same inode
  ASSERT_TRUE(env_->Rename(dir_ + "/a/b", dir_ + "/a/renamed").ok());
  auto children = env_->GetChildren(dir_ + "/a");
  ASSERT_TRUE(children.ok());
  std::sort(children->begin(), children->end());
  EXPECT_EQ(*children, (std::vector<std::string>{"link", "renamed"}));
  ASSERT_TRUE(env_->SyncDir(dir_ + "/a").ok());
  ASSERT_TRUE(env_->RemoveAll(dir_ + "/a").ok());
  EXPECT_FALSE(env_->FileExists(dir_ + "/a"));
  EXPECT_TRUE(env_->RemoveAll(dir_ + "/a").ok());  // missing is fine
}

TEST_F(EnvTest, LockIsExclusive) {
  auto first = env_->LockFile(dir_ + "/lock");
  ASSERT_TRUE(first.ok()) << first.status();
  // flock locks belong to the open file description: a second open in the
  // same process conflicts, as another process would.
  auto second = env_->LockFile(dir_ + "/lock");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(env_->LockFile(dir_ + "/lock").ok());
}

}  // namespace
}  // namespace strata
