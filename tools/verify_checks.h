// The checks behind `strata verify`: each walks the raw bytes of one part
// of a data directory (a block's index, chunk segments, tombstones and
// meta.json; the WAL and its checkpoints; chunks_head/) and reports every
// damage it finds, with the file and byte offset, to a Findings list. None
// stops at the first problem: a damaged entry is reported and the walk
// resumes at the next entry it can find, so one run locates all damage.
//
// Nothing here writes to the directory. Memory stays bounded by the size
// of the largest section that has to be held at once (the symbol table and
// a bitmap of one bit per 16 bytes of the index's series section), never
// by the number of samples or chunks.
//
// Thread-safety: not thread-safe; one Context per command.
#ifndef STRATA_TOOLS_VERIFY_CHECKS_H_
#define STRATA_TOOLS_VERIFY_CHECKS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/env.h"
#include "tools/progress.h"

namespace strata::tools::verify {

enum class Severity { kProblem, kWarning };

// One thing found; intentionally copyable.
struct Finding {
  Severity severity = Severity::kProblem;
  std::string file;     // relative to the data directory ("01H…/index")
  int64_t offset = -1;  // byte offset in `file`; -1 if the whole file
  std::string message;
};

// "file: offset N: message" (or "file: message"), with "warning: " in
// front of warnings.
std::string FormatFinding(const Finding& f);

// The findings of one run. At most kMaxDetailsPerFile findings per file
// are kept with their text; further ones are only counted, so a badly
// damaged directory cannot exhaust memory, and Finish() adds one line per
// file saying how many were left out.
class Findings {
 public:
  static constexpr uint64_t kMaxDetailsPerFile = 50;

  void Add(Severity severity, const std::string& file, int64_t offset, std::string message);
  void Problem(const std::string& file, int64_t offset, std::string message) {
    Add(Severity::kProblem, file, offset, std::move(message));
  }
  void Warning(const std::string& file, int64_t offset, std::string message) {
    Add(Severity::kWarning, file, offset, std::move(message));
  }
  // Adds a "<file> offset <n>: <what>" status message (as the engine's
  // readers write them) as a finding on `file`, taking the offset from it.
  void AddLocated(Severity severity, const std::string& file, std::string_view message);
  // Appends the "N more problems" lines. Call once, at the end.
  void Finish();

  const std::vector<Finding>& list() const { return list_; }
  uint64_t problems() const { return problems_; }
  uint64_t warnings() const { return warnings_; }

 private:
  std::vector<Finding> list_;
  std::map<std::string, uint64_t> per_file_;
  std::map<std::string, uint64_t> omitted_;
  uint64_t problems_ = 0;
  uint64_t warnings_ = 0;
};

// What one run shares between the checks.
struct Context {
  Env& env;
  std::string root;  // the data directory
  Findings findings;
  Progress* progress = nullptr;  // counts bytes checked; may be null

  std::string Path(const std::string& rel) const { return root + "/" + rel; }
  void AddProgress(uint64_t bytes) {
    if (progress != nullptr) progress->Add(bytes);
  }
};

// What a block's check learned; intentionally copyable.
struct BlockSummary {
  std::string name;  // directory name
  bool meta_ok = false;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  uint64_t series = 0;
  uint64_t chunks = 0;
  uint64_t samples = 0;
};

// Checks block directory `name` (relative to ctx.root): meta.json, index,
// chunks/, tombstones and the references between them.
BlockSummary VerifyBlock(Context& ctx, const std::string& name);

// Reports overlapping time ranges among `blocks` as warnings (Prometheus
// merges overlapping blocks at compaction; they are not damage).
void CheckOverlaps(Context& ctx, const std::vector<BlockSummary>& blocks);

struct WalSummary {
  bool present = false;
  uint32_t segments = 0;  // including those of checkpoints
  uint32_t checkpoints = 0;
  uint64_t records = 0;
};
// Checks wal/: every record CRC of every segment and checkpoint segment,
// record decoding, segment numbering. A torn tail of the last segment is a
// warning.
WalSummary VerifyWal(Context& ctx);

struct HeadChunksSummary {
  uint32_t files = 0;
  uint64_t chunks = 0;
};
// Checks chunks_head/: each file's header and each chunk's CRC.
HeadChunksSummary VerifyHeadChunks(Context& ctx);

// Bytes verify will read (for the progress line).
uint64_t BytesToCheck(Env& env, const std::string& root, const std::vector<std::string>& blocks);

// Splits "<anything> offset <n>: <what>" into n and what; false if
// `message` has no such part.
bool SplitLocated(std::string_view message, int64_t* offset, std::string_view* what);

// Hex of a CRC, as messages show it.
std::string Crc(uint32_t v);

}  // namespace strata::tools::verify

#endif  // STRATA_TOOLS_VERIFY_CHECKS_H_
