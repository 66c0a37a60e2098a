#include "strata/env.h"

#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

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

// An Env that records each call and answers with an error naming it, so a
// test sees which calls reached it and that the answer came back.
class RecordingEnv final : public Env {
 public:
  std::vector<std::string> calls;

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return Record("NewWritableFile " + p);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& p) override {
    return Record("NewAppendableFile " + p);
  }
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return Record("NewRandomAccessFile " + p);
  }
  StatusOr<std::unique_ptr<MappedFile>> MapFile(const std::string& p) override {
    return Record("MapFile " + p);
  }
  bool FileExists(const std::string& p) override {
    calls.push_back("FileExists " + p);
    return true;
  }
  StatusOr<uint64_t> GetFileSize(const std::string& p) override {
    calls.push_back("GetFileSize " + p);
    return 1234;
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& d) override {
    calls.push_back("GetChildren " + d);
    return std::vector<std::string>{"x", "y"};
  }
  bool IsDirectory(const std::string& p) override {
    calls.push_back("IsDirectory " + p);
    return true;
  }
  Status CreateDirs(const std::string& d) override { return Record("CreateDirs " + d); }
  Status RemoveFile(const std::string& p) override { return Record("RemoveFile " + p); }
  Status RemoveAll(const std::string& p) override { return Record("RemoveAll " + p); }
  Status Rename(const std::string& a, const std::string& b) override {
    return Record("Rename " + a + " " + b);
  }
  Status Truncate(const std::string& p, uint64_t n) override {
    return Record("Truncate " + p + " " + std::to_string(n));
  }
  Status SyncDir(const std::string& d) override { return Record("SyncDir " + d); }
  Status Link(const std::string& a, const std::string& b) override {
    return Record("Link " + a + " " + b);
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return Record("LockFile " + p);
  }
  int64_t NowMillis() override {
    calls.push_back("NowMillis");
    return 1'700'000'000'123;
  }

 private:
  Status Record(std::string call) {
    calls.push_back(call);
    return absl::NotFoundError(call);
  }
};

TEST(EnvWrapperTest, ForwardsEveryCallAndItsAnswer) {
  RecordingEnv target;
  EnvWrapper env(target);
  EXPECT_EQ(&env.target(), &target);
  EXPECT_EQ(env.NewWritableFile("w").status().message(), "NewWritableFile w");
  EXPECT_EQ(env.NewAppendableFile("a").status().message(), "NewAppendableFile a");
  EXPECT_EQ(env.NewRandomAccessFile("r").status().message(), "NewRandomAccessFile r");
  EXPECT_EQ(env.MapFile("m").status().message(), "MapFile m");
  EXPECT_TRUE(env.FileExists("e"));
  EXPECT_EQ(*env.GetFileSize("s"), 1234u);
  EXPECT_EQ(*env.GetChildren("c"), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(env.IsDirectory("i"));
  EXPECT_EQ(env.CreateDirs("d").message(), "CreateDirs d");
  EXPECT_EQ(env.RemoveFile("f").message(), "RemoveFile f");
  EXPECT_EQ(env.RemoveAll("all").message(), "RemoveAll all");
  EXPECT_EQ(env.Rename("from", "to").message(), "Rename from to");
  EXPECT_EQ(env.Truncate("t", 7).message(), "Truncate t 7");
  EXPECT_EQ(env.SyncDir("sd").message(), "SyncDir sd");
  EXPECT_EQ(env.Link("l1", "l2").message(), "Link l1 l2");
  EXPECT_EQ(env.LockFile("lock").status().message(), "LockFile lock");
  EXPECT_EQ(env.NowMillis(), 1'700'000'000'123);
  EXPECT_EQ(target.calls,
            (std::vector<std::string>{
                "NewWritableFile w", "NewAppendableFile a", "NewRandomAccessFile r", "MapFile m",
                "FileExists e", "GetFileSize s", "GetChildren c", "IsDirectory i", "CreateDirs d",
                "RemoveFile f", "RemoveAll all", "Rename from to", "Truncate t 7", "SyncDir sd",
                "Link l1 l2", "LockFile lock", "NowMillis"}));
}

// A wrapper overrides only what it changes; the rest still reaches the
// target.
TEST(EnvWrapperTest, AnOverrideReplacesOnlyItsCall) {
  class FixedClock final : public EnvWrapper {
   public:
    using EnvWrapper::EnvWrapper;
    int64_t NowMillis() override { return 5; }
  };
  RecordingEnv target;
  FixedClock env(target);
  EXPECT_EQ(env.NowMillis(), 5);
  EXPECT_EQ(env.RemoveFile("f").message(), "RemoveFile f");
  EXPECT_EQ(target.calls, (std::vector<std::string>{"RemoveFile f"}));
}

}  // namespace
}  // namespace strata
