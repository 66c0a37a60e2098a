// Evaluates random well-formed PromQL over a small data set: the evaluator
// must never crash, whatever the expression (errors are fine).
//
// Input: the first byte chooses the mode. Even: the rest is query text,
// parsed and evaluated if it parses. Odd: the rest drives a generator that
// builds a type-correct expression from the function registry, the
// aggregations, the operators with their modifiers, selectors with offset
// and @, and subqueries. Each expression runs as an instant query and as a
// short range query, under both dialects.
//
// The data (opened once in a temporary directory): gauges, counters with
// resets, classic histogram buckets, NaN, ±Inf and staleness markers.
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "query/engine.h"
#include "query/functions.h"
#include "query/parser.h"
#include "strata/db.h"

namespace {

using strata::query::ValueType;

strata::DB* Data() {
  static strata::DB* db = [] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "promql_eval_fuzz_XXXXXX").string();
    static const std::string dir = mkdtemp(tmpl.data());
    // The DB stays open for the process' life; its directory goes at exit.
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    strata::Options o;
    o.background_compaction = false;
    o.retention_ms = 0;
    o.wal_sync = strata::WalSyncPolicy::kNever;
    auto opened = strata::DB::Open(o, dir + "/db");
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      std::abort();
    }
    auto app = (*opened)->NewAppender();
    const double stale = std::bit_cast<double>(strata::kStaleNaNBits);
    const char* jobs[] = {"a", "b", "c"};
    const char* les[] = {"0.1", "1", "10", "+Inf"};
    for (int i = 0; i < 40; ++i) {
      const int64_t t = i * 15'000;
      for (int j = 0; j < 3; ++j) {
        const std::string inst = std::to_string(j);
        double g = std::sin(i + j) * 10;
        if (i == 7 && j == 1) g = NAN;
        if (i == 9 && j == 2) g = INFINITY;
        if (i == 30 && j == 0) g = stale;
        app->Append({{"__name__", "gauge"}, {"job", jobs[j]}, {"instance", inst}}, t, g)
            .IgnoreError();  // the data set is fixed; a refused sample only shrinks it
        const double c = (i % 17) * (j + 1.5);  // resets every 17 samples
        app->Append({{"__name__", "counter_total"}, {"job", jobs[j]}, {"instance", inst}}, t, c)
            .IgnoreError();
        for (int b = 0; b < 4; ++b) {
          app->Append({{"__name__", "req_bucket"}, {"job", jobs[j]}, {"le", les[b]}}, t,
                      static_cast<double>(i * (b + 1) + (b == 2 && i == 5 ? -3 : 0)))
              .IgnoreError();
        }
      }
    }
    if (!app->Commit().ok()) std::abort();
    return opened->release();
  }();
  return db;
}

// Reads choices from the input; zeros when it runs out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  size_t Pick(size_t n) { return n == 0 ? 0 : Next() % n; }
  bool done() const { return pos_ >= size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class Generator {
 public:
  explicit Generator(Bytes& b) : b_(b) {}

  std::string Gen(ValueType type, int depth) {
    if (depth > 6 || b_.done()) return Leaf(type);
    switch (type) {
      case ValueType::kScalar:
        switch (b_.Pick(5)) {
          case 0:
            return Leaf(type);
          case 1:
            return "scalar(" + Gen(ValueType::kVector, depth + 1) + ")";
          case 2:
            return "(" + Gen(type, depth + 1) + " " + OpWithBool(true) + Gen(type, depth + 1) + ")";
          case 3:
            return "-" + Gen(type, depth + 1);
          default:
            return Call(ValueType::kScalar, depth);
        }
      case ValueType::kVector:
        switch (b_.Pick(6)) {
          case 0:
            return Leaf(type);
          case 1:
            return Call(ValueType::kVector, depth);
          case 2:
            return Aggregate(depth);
          case 3:
            return Binary(depth);
          case 4:
            return "-(" + Gen(type, depth + 1) + ")";
          default:
            return Call(ValueType::kVector, depth);
        }
      case ValueType::kMatrix:
        if (b_.Pick(3) == 0) {
          return "(" + Gen(ValueType::kVector, depth + 1) + ")[" + Duration() + ":" +
                 (b_.Pick(2) ? Duration() : "") + "]" + Modifiers();
        }
        return Selector() + "[" + Duration() + "]" + Modifiers();
      case ValueType::kString:
      default:
        return Leaf(type);
    }
  }

 private:
  std::string Leaf(ValueType type) {
    switch (type) {
      case ValueType::kScalar: {
        const char* n[] = {"0", "1", "-1", "0.5", "2", "NaN", "Inf", "-Inf", "1e308", "3"};
        return n[b_.Pick(10)];
      }
      case ValueType::kMatrix:
        return Selector() + "[" + Duration() + "]";
      case ValueType::kString: {
        const char* s[] = {"\"job\"", "\"le\"",       "\"(.*)\"",     "\"x$1\"", "\"\"",
                           "\"a|b\"", "\"instance\"", "\"__name__\"", "\"-\"",   "\"(\""};
        return s[b_.Pick(10)];
      }
      default:
        return Selector() + Modifiers();
    }
  }
  std::string Selector() {
    const char* s[] = {"gauge",       "counter_total",         "req_bucket",
                       "{job=\"a\"}", "gauge{job=~\"a|b\"}",   "{__name__=~\".+\"}",
                       "nonexistent", "req_bucket{le!=\"1\"}", "counter_total{job!~\"c\"}"};
    return s[b_.Pick(9)];
  }
  std::string Duration() {
    const char* d[] = {"1m", "30s", "5m", "1s", "2m", "10m", "1ms", "15s"};
    return d[b_.Pick(8)];
  }
  std::string Modifiers() {
    std::string m;
    switch (b_.Pick(6)) {
      case 1:
        m = " offset " + Duration();
        break;
      case 2:
        m = " offset -" + Duration();
        break;
      case 3:
        m = " @ " + std::to_string(static_cast<int>(b_.Pick(700)) - 50);
        break;
      case 4:
        m = b_.Pick(2) ? " @ start()" : " @ end()";
        break;
      default:
        break;
    }
    return m;
  }
  std::string Op() {
    const char* ops[] = {"+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<="};
    return ops[b_.Pick(13)];
  }
  // An operator, with `bool` where comparisons need or may take it.
  std::string OpWithBool(bool scalars) {
    const std::string op = Op();
    const bool comparison = op == "==" || op == "!=" || op[0] == '<' || op[0] == '>';
    if (!comparison) return op + " ";
    return op + (scalars || b_.Pick(3) == 0 ? " bool " : " ");
  }
  std::string Call(ValueType want, int depth) {
    const std::span<const strata::query::Function> fns = strata::query::AllFunctions();
    for (int tries = 0; tries < 8; ++tries) {
      const strata::query::Function& f = fns[b_.Pick(fns.size())];
      if (f.return_type != want) continue;
      std::string out(f.name);
      out += "(";
      size_t n = f.arg_types.size();
      if (f.variadic != 0 && n > 0 && b_.Pick(2) == 0) --n;  // omit the optional one
      if (f.variadic < 0 && b_.Pick(2) == 0) ++n;
      for (size_t i = 0; i < n; ++i) {
        const ValueType t = f.arg_types[std::min(i, f.arg_types.size() - 1)];
        if (i > 0) out += ", ";
        out += Gen(t, depth + 1);
      }
      return out + ")";
    }
    return Leaf(want);
  }
  std::string Aggregate(int depth) {
    const char* ops[] = {"sum",    "min",   "max",  "avg",     "group",        "stddev",
                         "stdvar", "count", "topk", "bottomk", "count_values", "quantile"};
    const size_t k = b_.Pick(12);
    std::string out = ops[k];
    const char* groupings[] = {"",       " by (job)", " without (instance)",
                               " by ()", " by (le)",  " without ()"};
    out += groupings[b_.Pick(6)];
    out += " (";
    if (k == 8 || k == 9 || k == 11) out += Gen(ValueType::kScalar, depth + 1) + ", ";
    if (k == 10) out += Leaf(ValueType::kString) + ", ";
    return out + Gen(ValueType::kVector, depth + 1) + ")";
  }
  std::string Binary(int depth) {
    const std::string lhs = Gen(ValueType::kVector, depth + 1);
    const int shape = static_cast<int>(b_.Pick(4));
    if (shape == 0)
      return "(" + lhs + " " + OpWithBool(false) + Gen(ValueType::kScalar, depth + 1) + ")";
    if (shape == 1) {
      const char* set[] = {"and", "or", "unless"};
      return "(" + lhs + " " + set[b_.Pick(3)] + Matching(false) +
             Gen(ValueType::kVector, depth + 1) + ")";
    }
    return "(" + lhs + " " + OpWithBool(false) + Matching(true) +
           Gen(ValueType::kVector, depth + 1) + ")";
  }
  std::string Matching(bool groups) {
    const char* m[] = {"", " on (job) ", " ignoring (instance) ", " on () ", " on (job, le) "};
    std::string out = m[b_.Pick(5)];
    if (groups && !out.empty()) {
      const char* g[] = {"", "group_left ", "group_right ", "group_left (instance) "};
      out += g[b_.Pick(4)];
    }
    return out.empty() ? " " : out;
  }

  Bytes& b_;
};

void Run(const std::string& query) {
  const bool parses = strata::query::ParseExpr(query).ok();
  // PROMQL_EVAL_FUZZ_VERBOSE=1 shows what the generator produced.
  static const bool verbose = std::getenv("PROMQL_EVAL_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "%s %s\n", parses ? "eval " : "unparsable", query.c_str());
  if (!parses) return;
  for (strata::query::Compat compat :
       {strata::query::Compat::kPrometheus2, strata::query::Compat::kPrometheus3}) {
    strata::query::EngineOptions o;
    o.compat = compat;
    o.timeout_ms = 2000;
    o.max_samples = 2'000'000;
    o.threads = 2;
    strata::query::Engine engine(o);
    // Errors are expected for many inputs; only crashes matter here.
    engine.Instant(*Data(), query, 300'000).status().IgnoreError();
    engine.Range(*Data(), query, 0, 600'000, 45'000).status().IgnoreError();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    Run(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    return 0;
  }
  Bytes bytes(data + 1, size - 1);
  Generator gen(bytes);
  Run(gen.Gen(bytes.Pick(2) ? ValueType::kVector : ValueType::kScalar, 0));
  return 0;
}
