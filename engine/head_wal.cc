// Head start-up: the head chunk files, then the WAL (checkpoint first),
// replayed into the head (Prometheus' tsdb/head_wal.go loadWAL). One
// thread decodes records; samples are applied by one worker per core,
// each owning the series whose ref falls on it, so a series' samples stay
// in WAL order.
#include <algorithm>
#include <bit>
#include <deque>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/xor_chunk.h"
#include "engine/filenames.h"
#include "engine/head.h"
#include "engine/internal/head_series.h"
#include "wal/reader.h"
#include "wal/records.h"

namespace strata::engine {

namespace {

struct ReplaySample {
  Head::Series* series;
  int64_t t;
  double v;
};

// A worker applying the samples of its share of the series.
class ReplayWorker {
 public:
  using ApplyFn = std::function<void(const ReplaySample&, uint64_t* applied, uint64_t* refused)>;

  explicit ReplayWorker(ApplyFn apply) : apply_(std::move(apply)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ReplayWorker() { Finish(); }

  // Hands over a batch; waits while the worker is far behind, so memory
  // stays bounded whatever the WAL's size.
  void Push(std::vector<ReplaySample> batch) {
    MutexLock lock(&mu_);
    while (queue_.size() >= kMaxQueued) cv_.Wait(&mu_);
    queue_.push_back(std::move(batch));
    cv_.SignalAll();
  }
  void Finish() {
    {
      MutexLock lock(&mu_);
      done_ = true;
      cv_.SignalAll();
    }
    if (thread_.joinable()) thread_.join();
  }
  uint64_t applied() const { return applied_; }
  uint64_t refused() const { return refused_; }

 private:
  static constexpr size_t kMaxQueued = 64;

  void Run() {
    for (;;) {
      std::vector<ReplaySample> batch;
      {
        MutexLock lock(&mu_);
        while (queue_.empty() && !done_) cv_.Wait(&mu_);
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
        cv_.SignalAll();
      }
      for (const ReplaySample& s : batch) apply_(s, &applied_, &refused_);
    }
  }

  ApplyFn apply_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::vector<ReplaySample>> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // Written by the worker thread only; read after Finish().
  uint64_t applied_ = 0;
  uint64_t refused_ = 0;
  std::thread thread_;
};

}  // namespace

Status Head::Replay(HeadReplayStats* stats) {
  const int64_t min_valid = min_valid_time_ms();
  // 1. Full chunks already in chunks_head/, by series.
  absl::flat_hash_map<uint64_t, std::vector<MappedChunk>> mapped;
  STRATA_ASSIGN_OR_RETURN(stats->head_chunk_bytes_dropped, chunks_->Replay([&](const HeadChunk& c) {
    if (c.max_time_ms < min_valid) return;
    mapped[c.series_ref].push_back({c.ref, c.min_time_ms, c.max_time_ms});
  }));

  // 2. The WAL.
  const size_t num_workers = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<ReplayWorker>> workers;
  auto apply = [this, min_valid](const ReplaySample& r, uint64_t* applied, uint64_t* refused) {
    Series& s = *r.series;
    if (r.t < min_valid) return;  // already in a block
    SpinLockHolder lock(&s.mu);
    // Samples up to the last mapped chunk are in that chunk.
    if (!s.mapped.empty() && r.t <= s.mapped.back().max_time_ms) return;
    const char* why = nullptr;
    if (AppendLocked(s, r.t, r.v, &why)) {
      UpdateMinMax(r.t);
      ++*applied;
    } else {
      ++*refused;
    }
  };
  for (size_t i = 0; i < num_workers; ++i) workers.push_back(std::make_unique<ReplayWorker>(apply));
  std::vector<std::vector<ReplaySample>> batches(num_workers);

  absl::flat_hash_map<uint64_t, Series*> by_wal_ref;
  std::vector<wal::RefSeries> series;
  std::vector<wal::RefSample> samples;
  std::vector<wal::Tombstone> tombs;
  std::string encoded;
  auto visit = [&](std::string_view record) -> Status {
    switch (wal::GetRecordType(record)) {
      case wal::RecordType::kSeries: {
        series.clear();
        STRATA_RETURN_IF_ERROR(wal::DecodeSeries(record, &series));
        for (const wal::RefSeries& rs : series) {
          std::vector<std::pair<std::string_view, std::string_view>> ls;
          for (const auto& [n, v] : rs.labels) ls.emplace_back(n, v);
          std::sort(ls.begin(), ls.end());
          encoded.clear();
          for (const auto& [n, v] : ls) index::AppendLabelEncoding(&encoded, n, v);
          const uint64_t hash = LabelsHash(encoded);
          bool created = false;
          StatusOr<Series*> s = GetOrCreate(encoded, hash, rs.ref, &created);
          if (!s.ok()) return Annotate(s.status(), StrCat("series record ref ", rs.ref));
          by_wal_ref[rs.ref] = *s;
          ++stats->series;
          SpinLockHolder lock(&(*s)->mu);
          --(*s)->pending;
          (*s)->logged.store(true, std::memory_order_relaxed);
          auto m = mapped.find(rs.ref);
          if (!created || m == mapped.end()) continue;
          AttachMappedLocked(**s, std::move(m->second));
          stats->mmapped_chunks += (*s)->mapped.size();
          mapped.erase(m);
        }
        return absl::OkStatus();
      }
      case wal::RecordType::kSamples: {
        samples.clear();
        STRATA_RETURN_IF_ERROR(wal::DecodeSamples(record, &samples));
        for (const wal::RefSample& smp : samples) {
          auto it = by_wal_ref.find(smp.ref);
          if (it == by_wal_ref.end()) {
            ++stats->unknown_series_refs;
            continue;
          }
          batches[it->second->ref % num_workers].push_back({it->second, smp.t, smp.v});
        }
        for (size_t i = 0; i < num_workers; ++i) {
          if (batches[i].size() < 4096) continue;
          workers[i]->Push(std::move(batches[i]));
          batches[i] = {};
        }
        return absl::OkStatus();
      }
      case wal::RecordType::kTombstones: {
        tombs.clear();
        STRATA_RETURN_IF_ERROR(wal::DecodeTombstones(record, &tombs));
        MutexLock lock(&meta_mu_);
        auto next = std::make_shared<Tombstones>(*tombstones_);
        for (const wal::Tombstone& t : tombs) {
          auto it = by_wal_ref.find(t.ref);
          if (it == by_wal_ref.end()) continue;
          next->Add(it->second->ref, {t.mint, t.maxt});
        }
        tombstones_ = std::move(next);
        return absl::OkStatus();
      }
      default:
        // Exemplars, metadata and native histograms are not kept yet.
        return absl::OkStatus();
    }
  };
  wal::ReplayStats wstats;
  wal::ReplayOptions wopts;
  wopts.cut_torn_tail = !options_.read_only;
  const std::string wal_dir = JoinPath(dir_, kWalDir);
  Status replayed = wal::Replay(env_, wal_dir, wopts, visit, &wstats);
  for (size_t i = 0; i < num_workers; ++i) {
    if (!batches[i].empty()) workers[i]->Push(std::move(batches[i]));
    workers[i]->Finish();
    stats->samples += workers[i]->applied();
    stats->samples_refused += workers[i]->refused();
  }
  stats->wal_torn_tail_bytes = wstats.torn_tail_bytes;
  if (absl::IsNotFound(replayed)) return absl::OkStatus();  // a new directory
  if (absl::IsDataLoss(replayed) && wstats.damage.has_value()) {
    // Prometheus' repair: what precedes the damage is in the head now; the
    // rest of the WAL cannot be read, so it goes (or, read-only, stays).
    if (options_.read_only) {
      stats->wal_damage = StrCat(replayed.message(), "; later records not read");
      return absl::OkStatus();
    }
    STRATA_RETURN_IF_ERROR(Annotate(wal::Repair(env_, wal_dir, *wstats.damage), "repair WAL"));
    stats->wal_damage = StrCat(replayed.message(), "; WAL cut at segment ", wstats.damage->segment,
                               " offset ", wstats.damage->offset);
    return absl::OkStatus();
  }
  return Annotate(replayed, "replay WAL");
}

void Head::AttachMappedLocked(Series& s, std::vector<MappedChunk> chunks) {
  std::sort(chunks.begin(), chunks.end(), [](const MappedChunk& a, const MappedChunk& b) {
    return a.min_time_ms < b.min_time_ms;
  });
  // Keep a strictly increasing run: a chunk overlapping its predecessor
  // can only come from a damaged file, and its samples are in the WAL.
  for (const MappedChunk& c : chunks) {
    if (!s.mapped.empty() && c.min_time_ms <= s.mapped.back().max_time_ms) continue;
    s.mapped.push_back(c);
  }
  if (s.mapped.empty()) return;
  num_mmapped_chunks_.fetch_add(s.mapped.size(), std::memory_order_relaxed);
  UpdateMinMax(s.mapped.front().min_time_ms);
  UpdateMinMax(s.mapped.back().max_time_ms);
  s.max_time = s.mapped.back().max_time_ms;
  // The last value, for the duplicate check of the next sample.
  StatusOr<PinnedChunk> last = chunks_->Read(s.mapped.back().ref);
  if (!last.ok()) return;
  compression::XorIterator it(last->chunk.data);
  while (it.Next()) s.last_bits = it.value_bits();
}

}  // namespace strata::engine
