// `strata import`: backfill blocks into a data directory (issue #9).
//
//   strata import openmetrics FILE|- OUT_DIR [flags]
//     Text exposition (OpenMetrics or Prometheus 0.0.4) → level-1 blocks,
//     like `promtool tsdb create-blocks-from openmetrics`. Bounded memory:
//     a first pass validates the whole input and counts samples per
//     block-aligned range; each further pass re-reads the input and keeps
//     only the samples of a group of consecutive ranges holding at most
//     --max-samples-in-memory samples (one range at least), then writes one
//     block per range. Nothing is written until the whole input has parsed,
//     and on a later failure the blocks this run wrote are removed.
//   strata import prometheus SRC_DIR OUT_DIR [flags]
//     A Prometheus (or Strata) data directory → blocks in OUT_DIR: its
//     blocks are hard-linked (copied across file systems) and its head
//     (WAL + chunks_head/, opened read-only) is written as blocks, one per
//     block-aligned range. SRC_DIR is not changed and may be in use.
//
// OUT_DIR may be a live data directory: new blocks only ever appear by
// rename, and blocks overlapping the existing ones are merged vertically
// by the next compaction.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/block.h"
#include "engine/block_meta.h"
#include "engine/block_writer.h"
#include "engine/compaction_plan.h"
#include "engine/compactor.h"
#include "engine/filenames.h"
#include "engine/head.h"
#include "engine/merge.h"
#include "engine/ulid.h"
#include "index/labels.h"
#include "strata/env.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/progress.h"
#include "tools/text_parser.h"

namespace strata::tools {
namespace {

using engine::BlockMeta;
using engine::JoinPath;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Reads a file line by line with getline, so a line costs its own length.
class LineReader {
 public:
  LineReader() = default;
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buf_);
  }
  [[nodiscard]] Status Open(const std::string& path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) return absl::NotFoundError(StrCat(path, ": ", std::strerror(errno)));
    return Status();
  }
  // False at the end. `*line` is valid until the next call.
  bool Next(std::string_view* line) {
    const ssize_t n = getline(&buf_, &cap_, file_);
    if (n < 0) return false;
    bytes_ = static_cast<uint64_t>(n);
    size_t len = static_cast<size_t>(n);
    if (len > 0 && buf_[len - 1] == '\n') --len;
    *line = std::string_view(buf_, len);
    return true;
  }
  uint64_t last_bytes() const { return bytes_; }
  bool failed() const { return std::ferror(file_) != 0; }

 private:
  std::FILE* file_ = nullptr;
  char* buf_ = nullptr;
  size_t cap_ = 0;
  uint64_t bytes_ = 0;
};

// Whether the file's last non-blank line is "# EOF" (OpenMetrics).
bool EndsWithEof(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::string tail(256, '\0');
  long start = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long size = std::ftell(f);
    start = size > 256 ? size - 256 : 0;
  }
  std::fseek(f, start, SEEK_SET);
  tail.resize(std::fread(tail.data(), 1, tail.size(), f));
  std::fclose(f);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) {
    tail.pop_back();
  }
  return std::string_view(tail).ends_with("# EOF");
}

struct Sample {
  int64_t t;
  double v;
};

// The samples of one block range, by series (canonical label encoding).
struct RangeBuffer {
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<std::string> keys;
  std::vector<std::vector<Sample>> samples;
  int64_t min_time_ms = INT64_MAX;
  int64_t max_time_ms = INT64_MIN;
};

struct ImportOptions {
  std::string input_name;  // for messages
  std::string path;        // the file read (stdin is spooled first)
  TextFormat format = TextFormat::kOpenMetrics;
  int64_t block_duration_ms = engine::kDefaultBlockDurationMs;
  std::vector<std::pair<std::string, std::string>> extra_labels;
  uint64_t max_samples_in_memory = 0;
};

// Reads every sample of the input, calling `fn(labels_key, t, v)`.
// `labels_key` is the canonical encoding of the series' labels (with the
// extra labels applied). Errors: parse errors with file:line:column.
template <typename Fn>
Status ForEachSample(const ImportOptions& o, Progress* progress, Fn fn) {
  LineReader reader;
  STRATA_RETURN_IF_ERROR(reader.Open(o.path));
  TextParser parser(o.input_name, o.format);
  TextSample sample;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  std::string key;
  std::string_view line;
  int64_t line_number = 0;
  while (reader.Next(&line)) {
    ++line_number;
    if (progress != nullptr) progress->Add(reader.last_bytes());
    STRATA_ASSIGN_OR_RETURN(TextParser::LineKind kind,
                            parser.ParseLine(line, line_number, &sample));
    if (kind != TextParser::LineKind::kSample) continue;
    if (!sample.has_timestamp) {
      return parser.Error(line_number, sample.timestamp_column,
                          "expected timestamp: backfilled samples need one");
    }
    pairs.clear();
    for (size_t i = 0; i < sample.num_labels; ++i) {
      const auto& [name, value] = sample.labels[i];
      bool overridden = false;
      for (const auto& [xname, xvalue] : o.extra_labels) overridden |= xname == name;
      if (!overridden && !value.empty()) pairs.emplace_back(name, value);
    }
    for (const auto& [name, value] : o.extra_labels) pairs.emplace_back(name, value);
    std::sort(pairs.begin(), pairs.end());
    key.clear();
    for (const auto& [name, value] : pairs) index::AppendLabelEncoding(&key, name, value);
    STRATA_RETURN_IF_ERROR(fn(key, sample.timestamp_ms, sample.value));
  }
  if (reader.failed()) return absl::DataLossError(StrCat(o.path, ": read error"));
  if (o.format == TextFormat::kOpenMetrics && !parser.saw_eof()) {
    return parser.Error(line_number + 1, 1, "expected # EOF at the end of OpenMetrics input");
  }
  return Status();
}

// Writes `buf` as one level-1 block into `out_dir`, block range
// [first sample, last sample + 1) as promtool's BlockWriter does.
StatusOr<BlockMeta> WriteRangeBlock(Env& env, const std::string& out_dir, RangeBuffer& buf,
                                    int64_t chunk_range_ms) {
  std::vector<index::Labels> labels(buf.keys.size());
  for (size_t i = 0; i < buf.keys.size(); ++i) {
    if (!index::Labels::FromEncoded(buf.keys[i], &labels[i])) {
      return absl::InternalError("import: bad label encoding");
    }
  }
  std::vector<size_t> order(labels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return Compare(labels[a], labels[b]) < 0; });
  std::set<std::string_view> symbol_set;
  for (const index::Labels& ls : labels) {
    for (const index::Label& l : ls) {
      symbol_set.insert(l.name);
      symbol_set.insert(l.value);
    }
  }
  const std::vector<std::string_view> symbols(symbol_set.begin(), symbol_set.end());

  const engine::Ulid ulid = engine::NewUlid(env.NowMillis());
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::BlockWriter> writer,
                          engine::BlockWriter::Create(env, out_dir, ulid));
  STRATA_RETURN_IF_ERROR(writer->AddSymbols(symbols));
  std::vector<engine::EncodedChunk> encoded;
  std::vector<engine::TimedChunk> chunks;
  for (size_t i : order) {
    std::vector<Sample>& s = buf.samples[i];
    std::stable_sort(s.begin(), s.end(),
                     [](const Sample& a, const Sample& b) { return a.t < b.t; });
    std::vector<int64_t> ts;
    std::vector<double> vs;
    ts.reserve(s.size());
    vs.reserve(s.size());
    for (const Sample& x : s) {
      if (!ts.empty() && ts.back() == x.t) {
        if (std::memcmp(&vs.back(), &x.v, sizeof(double)) == 0) continue;
        return absl::InvalidArgumentError(StrCat("series ", labels[i].ToString(),
                                                 ": two different values at timestamp ", x.t, " (",
                                                 vs.back(), " and ", x.v, ")"));
      }
      ts.push_back(x.t);
      vs.push_back(x.v);
    }
    std::vector<Sample>().swap(s);
    auto it = engine::NewVectorSampleIterator(std::move(ts), std::move(vs));
    encoded.clear();
    STRATA_RETURN_IF_ERROR(engine::EncodeChunks(*it, chunk_range_ms, &encoded));
    chunks.clear();
    for (const auto& c : encoded) {
      chunks.push_back({c.min_time_ms, c.max_time_ms, c.encoding, c.data});
    }
    STRATA_RETURN_IF_ERROR(writer->AddSeries(labels[i], chunks));
  }
  BlockMeta meta;
  meta.ulid = ulid;
  meta.min_time_ms = buf.min_time_ms;
  meta.max_time_ms = buf.max_time_ms + 1;
  meta.compaction.level = 1;
  meta.compaction.sources = {ulid};
  return writer->Finish(meta);
}

void RemoveBlocks(Env& env, const std::string& out_dir, const std::vector<BlockMeta>& written) {
  for (const BlockMeta& m : written) {
    // Best effort: the run already failed with a better error to report.
    env.RemoveAll(JoinPath(out_dir, m.ulid.ToString())).IgnoreError();
  }
  env.SyncDir(out_dir).IgnoreError();
}

std::string FormatTime(int64_t ms) {
  char buf[64];
  const time_t secs = static_cast<time_t>(FloorDiv(ms, 1000));
  struct tm tm;
  gmtime_r(&secs, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void PrintBlocks(const std::vector<BlockMeta>& blocks, bool json, std::string_view out_dir,
                 std::string_view extra_json) {
  uint64_t samples = 0;
  uint64_t series = 0;
  for (const BlockMeta& m : blocks) {
    samples += m.stats.num_samples;
    series += m.stats.num_series;
  }
  if (json) {
    std::string out = "{\"out_dir\":";
    AppendJsonString(&out, out_dir);
    StrAppend(&out, ",\"samples\":", samples, ",\"blocks\":[");
    for (size_t i = 0; i < blocks.size(); ++i) {
      const BlockMeta& m = blocks[i];
      StrAppend(&out, i == 0 ? "" : ",", "{\"ulid\":\"", m.ulid.ToString(),
                "\",\"min_time\":", m.min_time_ms, ",\"max_time\":", m.max_time_ms,
                ",\"series\":", m.stats.num_series, ",\"samples\":", m.stats.num_samples, "}");
    }
    StrAppend(&out, "]", extra_json, "}\n");
    std::fputs(out.c_str(), stdout);
    return;
  }
  std::printf("wrote %zu blocks (%llu samples, %llu series summed over blocks) into %.*s\n",
              blocks.size(), static_cast<unsigned long long>(samples),
              static_cast<unsigned long long>(series), static_cast<int>(out_dir.size()),
              out_dir.data());
  for (const BlockMeta& m : blocks) {
    std::printf("  %s  %s .. %s  %llu series  %llu samples\n", m.ulid.ToString().c_str(),
                FormatTime(m.min_time_ms).c_str(), FormatTime(m.max_time_ms).c_str(),
                static_cast<unsigned long long>(m.stats.num_series),
                static_cast<unsigned long long>(m.stats.num_samples));
  }
}

// Copies stdin into `path`.
Status SpoolStdin(const std::string& path) {
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) return absl::InternalError(StrCat(path, ": ", std::strerror(errno)));
  std::vector<char> buf(1 << 20);
  size_t n;
  bool ok = true;
  while ((n = std::fread(buf.data(), 1, buf.size(), stdin)) > 0) {
    ok &= std::fwrite(buf.data(), 1, n, out) == n;
  }
  ok &= std::ferror(stdin) == 0;
  ok &= std::fclose(out) == 0;
  if (!ok) return absl::InternalError(StrCat(path, ": writing a copy of stdin failed"));
  return Status();
}

Status ImportText(Env& env, const ImportOptions& o, const std::string& out_dir,
                  std::vector<BlockMeta>* written) {
  // Pass 1: validate everything and count samples per range.
  std::map<int64_t, uint64_t> range_counts;  // range index -> samples
  struct stat st {};
  const uint64_t file_bytes = ::stat(o.path.c_str(), &st) == 0 ? st.st_size : 0;
  {
    Progress progress("import: checking", "bytes", file_bytes);
    STRATA_RETURN_IF_ERROR(ForEachSample(o, &progress, [&](std::string_view, int64_t t, double) {
      ++range_counts[FloorDiv(t, o.block_duration_ms)];
      return Status();
    }));
  }
  if (range_counts.empty()) return Status();

  // Group consecutive ranges into passes of bounded sample counts.
  std::vector<std::vector<int64_t>> passes;
  uint64_t in_pass = 0;
  for (const auto& [range, count] : range_counts) {
    if (passes.empty() || (in_pass + count > o.max_samples_in_memory && in_pass > 0)) {
      passes.emplace_back();
      in_pass = 0;
    }
    passes.back().push_back(range);
    in_pass += count;
  }

  STRATA_RETURN_IF_ERROR(env.CreateDirs(out_dir));
  Progress progress("import: writing", "bytes", file_bytes * passes.size());
  for (const std::vector<int64_t>& pass : passes) {
    const int64_t first = pass.front();
    std::vector<RangeBuffer> bufs(pass.back() - first + 1);
    STRATA_RETURN_IF_ERROR(
        ForEachSample(o, &progress, [&](std::string_view key, int64_t t, double v) {
          const int64_t r = FloorDiv(t, o.block_duration_ms);
          if (r < first || r > pass.back()) return Status();
          RangeBuffer& b = bufs[r - first];
          auto it = b.index.find(ToAbsl(key));
          if (it == b.index.end()) {
            it = b.index.emplace(std::string(key), b.keys.size()).first;
            b.keys.emplace_back(key);
            b.samples.emplace_back();
          }
          b.samples[it->second].push_back({t, v});
          b.min_time_ms = std::min(b.min_time_ms, t);
          b.max_time_ms = std::max(b.max_time_ms, t);
          return Status();
        }));
    for (RangeBuffer& b : bufs) {
      if (b.keys.empty()) continue;
      STRATA_ASSIGN_OR_RETURN(BlockMeta meta,
                              WriteRangeBlock(env, out_dir, b, o.block_duration_ms));
      written->push_back(meta);
      b = RangeBuffer();
    }
  }
  return Status();
}

int RunImportOpenMetrics(const std::vector<std::string>& args) {
  absl::Duration block_duration = absl::Hours(2);
  std::optional<TextFormat> format;  // nullopt: auto
  std::vector<std::string> labels;
  int64_t max_samples = 5'000'000;
  bool json = false;
  FlagParser flags(
      "strata import openmetrics FILE|- OUT_DIR [flags]",
      "Backfill blocks from an OpenMetrics or Prometheus text exposition file (- for stdin)\n"
      "into OUT_DIR, one level-1 block per block-aligned time range, like `promtool tsdb\n"
      "create-blocks-from openmetrics`. Every sample needs a timestamp (OpenMetrics: seconds;\n"
      "Prometheus format: milliseconds). OUT_DIR may be a server's data directory: blocks\n"
      "appear atomically, the server serves them from its next start, and overlapping ones\n"
      "are merged by its compaction. A parse error names\n"
      "file:line:column and leaves no block behind.");
  flags.Duration("block-duration", &block_duration,
                 "time range of each block, aligned to multiples of it (e.g. 2h, 1d)");
  flags.Enum("format", &format,
             {{"auto", std::nullopt},
              {"openmetrics", TextFormat::kOpenMetrics},
              {"prometheus", TextFormat::kPrometheus}},
             "input format: openmetrics, prometheus, or auto (openmetrics if the input ends "
             "with # EOF)");
  flags.StringList("label", &labels, "name=value label added to every series (repeatable)");
  flags.Int("max-samples-in-memory", &max_samples,
            "samples buffered per pass over the input; more ranges take more passes");
  flags.Bool("json", &json, "print a JSON summary instead of text");
  std::vector<std::string> pos;
  if (auto exit = flags.ParseCommand(args, 2, "FILE (or -) and OUT_DIR", &pos)) return *exit;
  auto usage_error = [&](std::string_view msg) { return flags.UsageError(msg); };
  ImportOptions o;
  o.block_duration_ms = absl::ToInt64Milliseconds(block_duration);
  if (o.block_duration_ms <= 0) return usage_error("--block-duration must be positive");
  if (max_samples <= 0) return usage_error("--max-samples-in-memory must be positive");
  o.max_samples_in_memory = static_cast<uint64_t>(max_samples);
  for (const std::string& l : labels) {
    const size_t eq = l.find('=');
    const std::string name = l.substr(0, eq);
    bool valid = eq != std::string::npos && eq > 0 && eq + 1 < l.size() && name != "__name__";
    for (size_t i = 0; valid && i < name.size(); ++i) {
      const char c = name[i];
      valid = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && c >= '0' && c <= '9');
    }
    if (!valid) return usage_error(StrCat("bad --label \"", l, "\": want name=value"));
    for (auto& [n, v] : o.extra_labels) {
      if (n == name) return usage_error(StrCat("--label ", name, " given twice"));
    }
    o.extra_labels.emplace_back(name, l.substr(eq + 1));
  }
  const std::string& input = pos[0];
  const std::string& out_dir = pos[1];
  Env& env = *Env::Default();

  std::string spool;
  if (input == "-") {
    if (Status s = env.CreateDirs(out_dir); !s.ok()) {
      std::fprintf(stderr, "strata import openmetrics: %s\n", std::string(s.message()).c_str());
      return kExitUsage;
    }
    spool = JoinPath(out_dir, StrCat("import-stdin-", getpid(), engine::kTmpSuffix));
    if (Status s = SpoolStdin(spool); !s.ok()) {
      std::remove(spool.c_str());
      std::fprintf(stderr, "strata import openmetrics: %s\n", std::string(s.message()).c_str());
      return kExitUsage;
    }
    o.input_name = "<stdin>";
    o.path = spool;
  } else {
    o.input_name = input;
    o.path = input;
  }
  if (format.has_value()) {
    o.format = *format;
  } else {
    o.format = EndsWithEof(o.path) ? TextFormat::kOpenMetrics : TextFormat::kPrometheus;
  }

  std::vector<BlockMeta> written;
  Status s = ImportText(env, o, out_dir, &written);
  if (!spool.empty()) std::remove(spool.c_str());
  if (!s.ok()) {
    RemoveBlocks(env, out_dir, written);
    std::fprintf(stderr, "strata import openmetrics: %s\n", std::string(s.message()).c_str());
    return kExitUsage;
  }
  PrintBlocks(written, json, out_dir, "");
  return kExitOk;
}

// Links `from` to `to`, or copies it if linking fails (another file
// system, or one without hard links).
Status ImportPrometheus(Env& env, const std::string& src, const std::string& out_dir,
                        int64_t block_duration_ms, std::vector<BlockMeta>* written,
                        std::vector<std::string>* warnings) {
  if (!env.IsDirectory(src)) return absl::NotFoundError(StrCat(src, ": not a directory"));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env.GetChildren(src));
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, BlockMeta>> blocks;
  int64_t blocks_max_time = INT64_MIN;
  for (const std::string& name : names) {
    const std::string path = JoinPath(src, name);
    if (!engine::ParseUlid(name).ok() || !env.IsDirectory(path)) continue;
    STRATA_ASSIGN_OR_RETURN(BlockMeta meta, engine::ReadBlockMeta(env, path));
    if (meta.compaction.deletable) continue;
    if (env.FileExists(JoinPath(out_dir, name))) {
      return absl::AlreadyExistsError(
          StrCat(JoinPath(out_dir, name), ": block already exists (imported before?)"));
    }
    blocks_max_time = std::max(blocks_max_time, meta.max_time_ms);
    blocks.emplace_back(name, std::move(meta));
  }
  STRATA_RETURN_IF_ERROR(env.CreateDirs(out_dir));

  // The head first: reading the WAL may fail on damage, before any copy.
  engine::HeadOptions ho;
  ho.read_only = true;
  ho.chunk_range_ms = block_duration_ms;
  ho.min_valid_time_ms = blocks_max_time;  // as Prometheus' open: the blocks hold what is older
  engine::HeadReplayStats replay;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Head> head,
                          engine::Head::Open(env, src, ho, &replay));
  if (!replay.wal_damage.empty()) warnings->push_back(StrCat("WAL: ", replay.wal_damage));
  if (replay.samples_refused > 0) {
    warnings->push_back(StrCat(replay.samples_refused,
                               " WAL samples were refused at replay (out of order or older than "
                               "the newest block)"));
  }

  Progress progress("import", "blocks", blocks.size());
  for (const auto& [name, meta] : blocks) {
    STRATA_RETURN_IF_ERROR(engine::CloneBlock(env, JoinPath(src, name), out_dir, name));
    written->push_back(meta);
    progress.Add(1);
  }
  progress.Done();
  if (head->max_time_ms() != INT64_MIN) {
    const int64_t last = FloorDiv(head->max_time_ms(), block_duration_ms);
    for (int64_t r = FloorDiv(head->min_time_ms(), block_duration_ms); r <= last; ++r) {
      STRATA_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta,
                              engine::WriteHeadBlock(env, out_dir, *head, r * block_duration_ms,
                                                     (r + 1) * block_duration_ms));
      if (meta.has_value()) written->push_back(*meta);
    }
  }
  return env.SyncDir(out_dir);
}

int RunImportPrometheus(const std::vector<std::string>& args) {
  bool json = false;
  absl::Duration block_duration = absl::Hours(2);
  FlagParser flags(
      "strata import prometheus SRC_DIR OUT_DIR [flags]",
      "Import a Prometheus (or Strata) data directory into OUT_DIR: its blocks are\n"
      "hard-linked (copied across file systems) and the samples of its head (WAL and\n"
      "chunks_head/, read without changing them) are written as blocks, one per block range.\n"
      "SRC_DIR is not changed and may belong to a running server.");
  flags.Duration("block-duration", &block_duration, "time range of the blocks cut from the head");
  flags.Bool("json", &json, "print a JSON summary instead of text");
  std::vector<std::string> pos;
  if (auto exit = flags.ParseCommand(args, 2, "SRC_DIR and OUT_DIR", &pos)) return *exit;
  auto usage_error = [&](std::string_view msg) { return flags.UsageError(msg); };
  const int64_t block_ms = absl::ToInt64Milliseconds(block_duration);
  if (block_ms <= 0) return usage_error("--block-duration must be positive");
  Env& env = *Env::Default();
  std::vector<BlockMeta> written;
  std::vector<std::string> warnings;
  const std::string& out_dir = pos[1];
  Status s = ImportPrometheus(env, pos[0], out_dir, block_ms, &written, &warnings);
  if (!s.ok()) {
    RemoveBlocks(env, out_dir, written);
    std::fprintf(stderr, "strata import prometheus: %s\n", std::string(s.message()).c_str());
    return kExitUsage;
  }
  for (const std::string& w : warnings) {
    std::fprintf(stderr, "strata import prometheus: warning: %s\n", w.c_str());
  }
  std::string extra = ",\"warnings\":[";
  for (size_t i = 0; i < warnings.size(); ++i) {
    if (i > 0) extra += ",";
    AppendJsonString(&extra, warnings[i]);
  }
  extra += "]";
  PrintBlocks(written, json, out_dir, extra);
  return warnings.empty() ? kExitOk : kExitProblems;
}

}  // namespace

int RunImport(const std::vector<std::string>& args) {
  static constexpr char kUsage[] =
      "usage: strata import openmetrics FILE|- OUT_DIR [flags]\n"
      "       strata import prometheus SRC_DIR OUT_DIR [flags]\n\n"
      "Backfill blocks into OUT_DIR from text exposition files or a Prometheus data\n"
      "directory. `strata import <source> --help` documents the flags.\n";
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "openmetrics") return RunImportOpenMetrics(rest);
  if (args[0] == "prometheus") return RunImportPrometheus(rest);
  if (args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "strata import: unknown source \"%s\"\n\n%s", args[0].c_str(), kUsage);
  return kExitUsage;
}

}  // namespace strata::tools
