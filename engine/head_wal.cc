// Head start-up: the head chunk files, then the WAL (checkpoint first),
// replayed into the head (Prometheus' tsdb/head_wal.go loadWAL). One
// thread decodes records; samples are applied by one worker per core,
// each owning the series whose ref falls on it, so a series' samples stay
// in WAL order.
#include <algorithm>
#include <bit>
#include <deque>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/chunk.h"
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
      Apply(batch);
    }
  }

  // At a million series each sample's series and chunk are in no cache:
  // ask for the series kSeriesAhead samples on and, once that has come,
  // for its open chunk kChunkAhead samples on, so the waits overlap. Only
  // this worker changes the chunks of its series during replay, so it may
  // read where they are without their locks.
  void Apply(const std::vector<ReplaySample>& batch) {
    constexpr size_t kSeriesAhead = 16, kChunkAhead = 8;
    const size_t n = batch.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kSeriesAhead < n) PrefetchForAppend(batch[i + kSeriesAhead].series);
      if (i + kChunkAhead < n) PrefetchOpenChunk(batch[i + kChunkAhead].series);
      apply_(batch[i], &applied_, &refused_);
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

// Each WAL ref's series, and the newest time its mapped chunks held when
// the series was declared: samples up to it are in those chunks, so the
// reading thread drops them without touching the series.
struct RefTarget {
  Head::Series* series = nullptr;
  int64_t mapped_max = INT64_MIN;
};

// WAL refs are small integers (every writer counts them up from 1), so an
// array indexed by ref finds a sample's series in one load that can be
// prefetched; at a million series a hash map costs a cache miss or two
// per sample that a prefetch of its first line does not hide. A ref far
// beyond the number of series seen goes into a hash map instead.
class RefTable {
 public:
  void Set(uint64_t ref, RefTarget t) {
    if (ref >= dense_.size() && ref < 4 * count_ + 65536) {
      dense_.resize(std::max<uint64_t>(ref + 1, 2 * dense_.size()));
    }
    if (ref < dense_.size()) {
      if (dense_[ref].series == nullptr) ++count_;
      dense_[ref] = t;
      sparse_.erase(ref);  // if it went there while the array was shorter
    } else if (sparse_.insert_or_assign(ref, t).second) {
      ++count_;
    }
  }
  const RefTarget* Find(uint64_t ref) const {
    if (ref < dense_.size() && dense_[ref].series != nullptr) return &dense_[ref];
    if (sparse_.empty()) return nullptr;
    auto it = sparse_.find(ref);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  void Prefetch(uint64_t ref) const {
    if (ref < dense_.size()) __builtin_prefetch(&dense_[ref]);
  }

 private:
  std::vector<RefTarget> dense_;
  absl::flat_hash_map<uint64_t, RefTarget> sparse_;
  uint64_t count_ = 0;
};

}  // namespace

struct Head::WalReplay {
  // Constant during replay.
  HeadReplayStats* stats = nullptr;
  int64_t min_valid = INT64_MIN;  // the head's min valid time
  // Samples an older Strata accepted from a client's wrong clock: kept,
  // they would hold their series' newest time in the future (refusing its
  // current samples as out of order) and the head's max time with it.
  int64_t max_valid = INT64_MAX;
  size_t num_workers = 1;

  // Full chunks in chunks_head/ by series ref, until the series is declared.
  absl::flat_hash_map<uint64_t, std::vector<MappedChunk>> mapped;
  std::vector<std::unique_ptr<ReplayWorker>> workers;
  std::vector<std::vector<ReplaySample>> batches;  // one per worker
  RefTable refs;                                   // by WAL ref

  // Buffers reused from record to record.
  std::vector<wal::RefSeries> series;
  std::vector<wal::RefSample> samples;
  std::vector<wal::Tombstone> tombs;
  std::string encoded;
};

Status Head::Replay(HeadReplayStats* stats) {
  const int64_t now = env_.NowMillis(), ahead = options_.max_future_ms;
  WalReplay r;
  r.stats = stats;
  r.min_valid = min_valid_time_ms();
  r.max_valid = now > INT64_MAX - ahead ? INT64_MAX : now + ahead;
  r.num_workers = std::max(1u, std::thread::hardware_concurrency());
  STRATA_RETURN_IF_ERROR(LoadHeadChunks(r));
  StartReplayWorkers(r);
  wal::ReplayStats wstats;
  wal::ReplayOptions wopts;
  wopts.cut_torn_tail = !options_.read_only;
  Status replayed = wal::Replay(
      env_, JoinPath(dir_, kWalDir), wopts,
      [&](std::string_view record) { return ReplayRecord(record, r); }, &wstats);
  FinishReplayWorkers(r);
  stats->wal_torn_tail_bytes = wstats.torn_tail_bytes;
  return EndWalReplay(std::move(replayed), wstats, stats);
}

Status Head::LoadHeadChunks(WalReplay& r) {
  // A chunk that starts too far ahead goes (one that only ends there is
  // kept: it holds current samples too, and holds up its series at most
  // one chunk range).
  STRATA_ASSIGN_OR_RETURN(r.stats->head_chunk_bytes_dropped,
                          chunks_->Replay([&r](const HeadChunk& c) {
                            if (c.max_time_ms < r.min_valid) return;
                            if (c.min_time_ms > r.max_valid) {
                              ++r.stats->head_chunks_too_new;
                              return;
                            }
                            r.mapped[c.series_ref].push_back({c.ref, c.min_time_ms, c.max_time_ms});
                          }));
  return absl::OkStatus();
}

void Head::StartReplayWorkers(WalReplay& r) {
  auto apply = [this](const ReplaySample& rs, uint64_t* applied, uint64_t* refused) {
    Series& s = *rs.series;
    SpinLockHolder lock(&s.mu);
    // Samples up to the last mapped chunk are in that chunk.
    if (!s.mapped.empty() && rs.t <= s.mapped.back().max_time_ms) return;
    Refusal why = Refusal::kOther;
    if (AppendLocked(s, rs.t, rs.v, &why)) {
      UpdateMinMax(rs.t);
      ++*applied;
    } else {
      ++*refused;
    }
  };
  for (size_t i = 0; i < r.num_workers; ++i) {
    r.workers.push_back(std::make_unique<ReplayWorker>(apply));
  }
  r.batches.resize(r.num_workers);
}

Status Head::ReplayRecord(std::string_view record, WalReplay& r) {
  switch (wal::GetRecordType(record)) {
    case wal::RecordType::kSeries:
      return ReplaySeriesRecord(record, r);
    case wal::RecordType::kSamples:
      return ReplaySamplesRecord(record, r);
    case wal::RecordType::kTombstones:
      return ReplayTombstonesRecord(record, r);
    default:
      // Exemplars, metadata and native histograms are not kept yet.
      return absl::OkStatus();
  }
}

Status Head::ReplaySeriesRecord(std::string_view record, WalReplay& r) {
  r.series.clear();
  STRATA_RETURN_IF_ERROR(wal::DecodeSeries(record, &r.series));
  for (const wal::RefSeries& rs : r.series) {
    std::vector<std::pair<std::string_view, std::string_view>> ls;
    for (const auto& [n, v] : rs.labels) ls.emplace_back(n, v);
    std::sort(ls.begin(), ls.end());
    r.encoded.clear();
    for (const auto& [n, v] : ls) index::AppendLabelEncoding(&r.encoded, n, v);
    const uint64_t hash = LabelsHash(r.encoded);
    bool created = false;
    StatusOr<Series*> found = GetOrCreate(r.encoded, hash, rs.ref, &created);
    if (!found.ok()) return Annotate(found.status(), StrCat("series record ref ", rs.ref));
    ++r.stats->series;
    Series& s = **found;
    SpinLockHolder lock(&s.mu);
    --s.pending;
    s.logged.store(true, std::memory_order_relaxed);
    if (auto m = r.mapped.find(rs.ref); created && m != r.mapped.end()) {
      AttachMappedLocked(s, std::move(m->second));
      r.stats->mmapped_chunks += s.mapped.size();
      r.mapped.erase(m);
    }
    // A series declared again later may have cut chunks meanwhile;
    // what it holds beyond its mapped chunks its worker checks.
    r.refs.Set(rs.ref, {&s, s.mapped.empty() ? INT64_MIN : s.mapped.back().max_time_ms});
  }
  return absl::OkStatus();
}

Status Head::ReplaySamplesRecord(std::string_view record, WalReplay& r) {
  std::vector<wal::RefSample>& samples = r.samples;
  samples.clear();
  STRATA_RETURN_IF_ERROR(wal::DecodeSamples(record, &samples));
  const RefTable& refs = r.refs;
  const int64_t min_valid = r.min_valid, max_valid = r.max_valid;
  const size_t num_workers = r.num_workers;
  std::vector<std::vector<ReplaySample>>& batches = r.batches;
  // A million refs do not fit any cache: look a few samples ahead.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < std::min(kAhead, samples.size()); ++i) refs.Prefetch(samples[i].ref);
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i + kAhead < samples.size()) refs.Prefetch(samples[i + kAhead].ref);
    const wal::RefSample& smp = samples[i];
    const RefTarget* to = refs.Find(smp.ref);
    if (to == nullptr) {
      ++r.stats->unknown_series_refs;
      continue;
    }
    // Older than the head (in a block) or in a mapped chunk.
    if (smp.t < min_valid || smp.t <= to->mapped_max) continue;
    if (smp.t > max_valid) {
      ++r.stats->samples_too_new;
      continue;
    }
    batches[to->series->ref % num_workers].push_back({to->series, smp.t, smp.v});
  }
  for (size_t i = 0; i < num_workers; ++i) {
    if (batches[i].size() < 4096) continue;
    r.workers[i]->Push(std::move(batches[i]));
    batches[i] = {};
  }
  return absl::OkStatus();
}

Status Head::ReplayTombstonesRecord(std::string_view record, WalReplay& r) {
  r.tombs.clear();
  STRATA_RETURN_IF_ERROR(wal::DecodeTombstones(record, &r.tombs));
  MutexLock lock(&meta_mu_);
  auto next = std::make_shared<Tombstones>(*tombstones_);
  for (const wal::Tombstone& t : r.tombs) {
    if (const RefTarget* to = r.refs.Find(t.ref); to != nullptr) {
      next->Add(to->series->ref, {t.mint, t.maxt});
    }
  }
  tombstones_ = std::move(next);
  return absl::OkStatus();
}

void Head::FinishReplayWorkers(WalReplay& r) {
  for (size_t i = 0; i < r.num_workers; ++i) {
    if (!r.batches[i].empty()) r.workers[i]->Push(std::move(r.batches[i]));
    r.workers[i]->Finish();
    r.stats->samples += r.workers[i]->applied();
    r.stats->samples_refused += r.workers[i]->refused();
  }
}

Status Head::EndWalReplay(Status replayed, const wal::ReplayStats& wstats, HeadReplayStats* stats) {
  if (absl::IsNotFound(replayed)) return absl::OkStatus();  // a new directory
  if (!absl::IsDataLoss(replayed) || !wstats.damage.has_value()) {
    return Annotate(replayed, "replay WAL");
  }
  // Prometheus' repair: what precedes the damage is in the head now; the
  // rest of the WAL cannot be read, so it goes (or, read-only, stays).
  if (options_.read_only) {
    stats->wal_damage = StrCat(replayed.message(), "; later records not read");
    return absl::OkStatus();
  }
  const std::string wal_dir = JoinPath(dir_, kWalDir);
  STRATA_RETURN_IF_ERROR(Annotate(wal::Repair(env_, wal_dir, *wstats.damage), "repair WAL"));
  stats->wal_damage = StrCat(replayed.message(), "; WAL cut at segment ", wstats.damage->segment,
                             " offset ", wstats.damage->offset);
  return absl::OkStatus();
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
  StatusOr<std::unique_ptr<compression::ChunkIterator>> it =
      compression::NewChunkIterator(last->chunk.encoding, last->chunk.data);
  if (!it.ok()) return;  // a query of the series reports the encoding
  while ((*it)->Next()) s.last_bits = (*it)->value_bits();
}

}  // namespace strata::engine
