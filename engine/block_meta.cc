#include "engine/block_meta.h"

#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/filenames.h"

namespace strata::engine {
namespace {

// Writes Go's json.MarshalIndent(v, "", "\t") layout: one member per line,
// indented by depth, "key": value, commas at line ends.
class IndentWriter {
 public:
  void Open(char bracket) {
    out_.push_back(bracket);
    first_.push_back(true);
  }
  void Close(char bracket) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) NewLine();
    out_.push_back(bracket);
  }
  // Starts the next member; `key` empty for array elements.
  void Member(std::string_view key) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
    NewLine();
    if (!key.empty()) {
      AppendJsonString(&out_, key);
      out_.append(": ");
    }
  }
  void Raw(std::string_view text) { out_.append(text); }
  void String(std::string_view s) { AppendJsonString(&out_, s); }
  std::string Take() { return std::move(out_); }

 private:
  void NewLine() {
    out_.push_back('\n');
    out_.append(first_.size(), '\t');
  }
  std::string out_;
  std::vector<bool> first_;
};

void WriteUint(IndentWriter& w, std::string_view key, uint64_t v) {
  if (v == 0) return;  // omitempty
  w.Member(key);
  w.Raw(StrCat(v));
}

void WriteBool(IndentWriter& w, std::string_view key, bool v) {
  if (!v) return;  // omitempty
  w.Member(key);
  w.Raw("true");
}

void WriteDesc(IndentWriter& w, const BlockDesc& d) {
  w.Open('{');
  w.Member("ulid");
  w.String(d.ulid.ToString());
  w.Member("minTime");
  w.Raw(StrCat(d.min_time_ms));
  w.Member("maxTime");
  w.Raw(StrCat(d.max_time_ms));
  w.Close('}');
}

// Field accessors that name what is wrong.
Status Missing(std::string_view field) {
  return absl::InvalidArgumentError(StrCat("meta.json: missing field \"", field, "\""));
}

StatusOr<int64_t> Int(const JsonValue& obj, std::string_view field, bool required) {
  const JsonValue* v = obj.Find(field);
  if (v == nullptr) {
    if (required) return Missing(field);
    return 0;
  }
  StatusOr<int64_t> n = v->AsInt64();
  if (!n.ok()) return Annotate(n.status(), StrCat("meta.json: field \"", field, "\""));
  return n;
}

StatusOr<uint64_t> Uint(const JsonValue& obj, std::string_view field) {
  const JsonValue* v = obj.Find(field);
  if (v == nullptr) return 0;  // omitempty
  StatusOr<uint64_t> n = v->AsUint64();
  if (!n.ok()) return Annotate(n.status(), StrCat("meta.json: field \"", field, "\""));
  return n;
}

StatusOr<Ulid> UlidField(const JsonValue& obj, std::string_view field) {
  const JsonValue* v = obj.Find(field);
  if (v == nullptr) return Missing(field);
  if (v->type() != JsonValue::Type::kString) {
    return absl::InvalidArgumentError(StrCat("meta.json: field \"", field, "\" is not a string"));
  }
  StatusOr<Ulid> u = ParseUlid(v->string_value());
  if (!u.ok()) return Annotate(u.status(), StrCat("meta.json: field \"", field, "\""));
  return u;
}

bool Bool(const JsonValue& obj, std::string_view field) {
  const JsonValue* v = obj.Find(field);
  return v != nullptr && v->type() == JsonValue::Type::kBool && v->bool_value();
}

StatusOr<const std::vector<JsonValue>*> Array(const JsonValue& obj, std::string_view field) {
  static const std::vector<JsonValue> kEmpty;
  const JsonValue* v = obj.Find(field);
  if (v == nullptr || v->is_null()) return &kEmpty;
  if (v->type() != JsonValue::Type::kArray) {
    return absl::InvalidArgumentError(StrCat("meta.json: field \"", field, "\" is not an array"));
  }
  return &v->array();
}

}  // namespace

std::string EncodeBlockMeta(const BlockMeta& meta) {
  IndentWriter w;
  w.Open('{');
  w.Member("ulid");
  w.String(meta.ulid.ToString());
  w.Member("minTime");
  w.Raw(StrCat(meta.min_time_ms));
  w.Member("maxTime");
  w.Raw(StrCat(meta.max_time_ms));
  w.Member("stats");
  w.Open('{');
  WriteUint(w, "numSamples", meta.stats.num_samples);
  WriteUint(w, "numSeries", meta.stats.num_series);
  WriteUint(w, "numChunks", meta.stats.num_chunks);
  WriteUint(w, "numTombstones", meta.stats.num_tombstones);
  w.Close('}');
  w.Member("compaction");
  w.Open('{');
  w.Member("level");
  w.Raw(StrCat(meta.compaction.level));
  if (!meta.compaction.sources.empty()) {
    w.Member("sources");
    w.Open('[');
    for (const Ulid& u : meta.compaction.sources) {
      w.Member("");
      w.String(u.ToString());
    }
    w.Close(']');
  }
  WriteBool(w, "deletable", meta.compaction.deletable);
  if (!meta.compaction.parents.empty()) {
    w.Member("parents");
    w.Open('[');
    for (const BlockDesc& d : meta.compaction.parents) {
      w.Member("");
      WriteDesc(w, d);
    }
    w.Close(']');
  }
  WriteBool(w, "failed", meta.compaction.failed);
  if (!meta.compaction.hints.empty()) {
    w.Member("hints");
    w.Open('[');
    for (const std::string& h : meta.compaction.hints) {
      w.Member("");
      w.String(h);
    }
    w.Close(']');
  }
  w.Close('}');
  w.Member("version");
  w.Raw(StrCat(meta.version));
  w.Close('}');
  return w.Take();
}

StatusOr<BlockMeta> DecodeBlockMeta(std::string_view json) {
  StatusOr<JsonValue> parsed = ParseJson(json);
  if (!parsed.ok()) return Annotate(parsed.status(), "meta.json");
  const JsonValue& root = *parsed;
  if (root.type() != JsonValue::Type::kObject) {
    return absl::InvalidArgumentError("meta.json: not a JSON object");
  }
  BlockMeta m;
  STRATA_ASSIGN_OR_RETURN(const int64_t version, Int(root, "version", true));
  if (version != kBlockMetaVersion) {
    return absl::InvalidArgumentError(StrCat("meta.json: unexpected meta file version ", version));
  }
  m.version = static_cast<int>(version);
  STRATA_ASSIGN_OR_RETURN(m.ulid, UlidField(root, "ulid"));
  STRATA_ASSIGN_OR_RETURN(m.min_time_ms, Int(root, "minTime", true));
  STRATA_ASSIGN_OR_RETURN(m.max_time_ms, Int(root, "maxTime", true));
  if (const JsonValue* stats = root.Find("stats"); stats != nullptr) {
    STRATA_ASSIGN_OR_RETURN(m.stats.num_samples, Uint(*stats, "numSamples"));
    STRATA_ASSIGN_OR_RETURN(m.stats.num_series, Uint(*stats, "numSeries"));
    STRATA_ASSIGN_OR_RETURN(m.stats.num_chunks, Uint(*stats, "numChunks"));
    STRATA_ASSIGN_OR_RETURN(m.stats.num_tombstones, Uint(*stats, "numTombstones"));
  }
  const JsonValue* compaction = root.Find("compaction");
  if (compaction == nullptr) return Missing("compaction");
  STRATA_ASSIGN_OR_RETURN(const int64_t level, Int(*compaction, "level", true));
  m.compaction.level = static_cast<int>(level);
  m.compaction.deletable = Bool(*compaction, "deletable");
  m.compaction.failed = Bool(*compaction, "failed");
  STRATA_ASSIGN_OR_RETURN(const auto* sources, Array(*compaction, "sources"));
  for (const JsonValue& s : *sources) {
    STRATA_ASSIGN_OR_RETURN(Ulid u, ParseUlid(s.string_value()));
    m.compaction.sources.push_back(u);
  }
  STRATA_ASSIGN_OR_RETURN(const auto* parents, Array(*compaction, "parents"));
  for (const JsonValue& p : *parents) {
    BlockDesc d;
    STRATA_ASSIGN_OR_RETURN(d.ulid, UlidField(p, "ulid"));
    STRATA_ASSIGN_OR_RETURN(d.min_time_ms, Int(p, "minTime", true));
    STRATA_ASSIGN_OR_RETURN(d.max_time_ms, Int(p, "maxTime", true));
    m.compaction.parents.push_back(d);
  }
  STRATA_ASSIGN_OR_RETURN(const auto* hints, Array(*compaction, "hints"));
  for (const JsonValue& h : *hints) m.compaction.hints.push_back(h.string_value());
  return m;
}

StatusOr<BlockMeta> ReadBlockMeta(Env& env, const std::string& block_dir) {
  const std::string path = JoinPath(block_dir, kBlockMetaFile);
  STRATA_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(env, path));
  StatusOr<BlockMeta> meta = DecodeBlockMeta(text);
  if (!meta.ok()) return absl::DataLossError(StrCat(path, ": ", meta.status().message()));
  return meta;
}

Status WriteBlockMeta(Env& env, const std::string& block_dir, const BlockMeta& meta) {
  return WriteFileAtomic(env, JoinPath(block_dir, kBlockMetaFile), EncodeBlockMeta(meta));
}

}  // namespace strata::engine
