// The head: series store, chunk cutting, reads and truncation. Appending
// is in head_append.cc, WAL replay in head_wal.cc.
#include "engine/head.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/xor_chunk.h"
#include "engine/filenames.h"
#include "engine/internal/head_series.h"
#include "engine/merge.h"
#include "wal/checkpoint.h"
#include "wal/reader.h"
#include "wal/records.h"

namespace strata::engine {

int64_t RangeEnd(int64_t t, int64_t width) {
  // Floor division, so negative timestamps land in the right range too.
  int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width + width;
}

std::string FormatTimestamp(int64_t t_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(t_ms), absl::UTCTimeZone());
}

namespace {

// Prometheus 2.42's computeChunkEndTime: once a chunk is a quarter full,
// spread the rest of the range evenly over chunks of the same size.
int64_t ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max) {
  const int64_t a = (max - start) / ((cur - start + 1) * 4);
  if (a == 0) return max;
  return start + (max - start) / a;
}

}  // namespace

std::unique_ptr<SampleIterator> HeadSeriesData::NewIterator(int64_t min_time_ms,
                                                            int64_t max_time_ms) const {
  if (!status.ok()) return NewErrorSampleIterator(status);
  std::unique_ptr<SampleIterator> in_order =
      NewChunkSampleIterator(chunks, deleted.get(), min_time_ms, max_time_ms);
  if (ooo_timestamps.empty()) return in_order;
  std::vector<int64_t> ts;
  std::vector<double> vs;
  for (size_t i = 0; i < ooo_timestamps.size(); ++i) {
    const int64_t t = ooo_timestamps[i];
    if (t < min_time_ms || t > max_time_ms) continue;
    if (deleted != nullptr && deleted->Contains(t)) continue;
    ts.push_back(t);
    vs.push_back(ooo_values[i]);
  }
  std::vector<std::unique_ptr<SampleIterator>> its;
  its.push_back(std::move(in_order));
  its.push_back(NewVectorSampleIterator(std::move(ts), std::move(vs)));
  return NewMergeSampleIterator(std::move(its));
}

Head::Head(Env& env, std::string dir, const HeadOptions& options)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      pool_(std::make_unique<SeriesPool>()),
      ref_stripes_(new RefStripe[kStripes]),
      hash_stripes_(new HashStripe[kStripes]),
      index_(std::make_shared<index::MemIndex>()),
      tombstones_(std::make_shared<Tombstones>()),
      min_valid_time_(options.min_valid_time_ms) {}

Head::~Head() {
  if (wal_ != nullptr) wal_->Close().IgnoreError();  // best effort; Close() reports errors
}

StatusOr<std::unique_ptr<Head>> Head::Open(Env& env, const std::string& dir,
                                           const HeadOptions& options, HeadReplayStats* stats) {
  if (options.chunk_range_ms <= 0) {
    return absl::InvalidArgumentError("head: chunk range must be positive");
  }
  std::unique_ptr<Head> head(new Head(env, dir, options));
  const std::string chunks_dir = JoinPath(dir, kHeadChunksDir);
  if (options.read_only) {
    STRATA_ASSIGN_OR_RETURN(head->chunks_, HeadChunkStore::OpenReadOnly(env, chunks_dir));
  } else {
    STRATA_ASSIGN_OR_RETURN(head->chunks_, HeadChunkStore::Open(env, chunks_dir));
  }
  HeadReplayStats local;
  STRATA_RETURN_IF_ERROR(head->Replay(stats != nullptr ? stats : &local));
  if (!options.read_only) {
    STRATA_ASSIGN_OR_RETURN(head->wal_,
                            wal::Writer::Open(env, JoinPath(dir, kWalDir), options.wal));
  }
  return head;
}

std::unique_ptr<HeadAppender> Head::NewAppender() { return std::make_unique<HeadAppender>(*this); }

bool Head::Contains(uint64_t ref) const {
  RefStripe& stripe = ref_stripe(ref);
  MutexLock lock(&stripe.mu);
  return stripe.series.contains(ref);
}

StatusOr<Head::Series*> Head::GetOrCreate(std::string_view encoded, uint64_t hash,
                                          uint64_t ref_hint, bool* created) {
  *created = false;
  HashStripe& hs = hash_stripes_[hash & (kStripes - 1)];
  auto find = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hs.mu) -> Series* {
    auto it = hs.series.find(hash);
    if (it == hs.series.end()) return nullptr;
    Series* found = nullptr;
    if (it->second->labels.encoded() == encoded) {
      found = it->second;
    } else if (auto c = hs.collisions.find(hash); c != hs.collisions.end()) {
      for (Series* s : c->second) {
        if (s->labels.encoded() == encoded) found = s;
      }
    }
    if (found == nullptr) return nullptr;
    // Removal takes the hash stripe lock first, so `found` is live.
    SpinLockHolder l(&found->mu);
    ++found->pending;
    return found;
  };
  {
    MutexLock lock(&hs.mu);
    if (Series* s = find(); s != nullptr) return s;
  }
  index::Labels labels;
  if (!index::Labels::FromEncoded(std::string(encoded), &labels)) {
    return absl::InvalidArgumentError("invalid label set");
  }
  MutexLock lock(&hs.mu);
  if (Series* s = find(); s != nullptr) return s;  // created meanwhile
  if (ref_hint != 0) {
    num_series_.fetch_add(1, std::memory_order_relaxed);
  } else if (!ReserveSeries()) {
    CountRefusal(Refusal::kSeriesLimit);
    return absl::InvalidArgumentError(StrCat("series limit of ", options_.max_series,
                                             " reached (--storage.max-series): new series ",
                                             labels.ToString(), " refused"));
  }
  uint64_t ref = ref_hint;
  if (ref != 0) {
    // A replayed ref that is taken already (never by a sane WAL) gets a new one.
    RefStripe& rs = ref_stripe(ref);
    MutexLock rlock(&rs.mu);
    if (rs.series.contains(ref)) ref = 0;
  }
  if (ref == 0) {
    ref = next_ref_.fetch_add(1, std::memory_order_relaxed);
  } else {
    uint64_t next = next_ref_.load(std::memory_order_relaxed);
    while (next <= ref && !next_ref_.compare_exchange_weak(next, ref + 1)) {
    }
  }
  Series* s = pool_->Allocate();
  {
    SpinLockHolder l(&s->mu);
    s->Start(ref, std::move(labels));
    s->pending = 1;
  }
  {
    RefStripe& rs = ref_stripe(ref);
    MutexLock rlock(&rs.mu);
    rs.series.emplace(ref, s);
  }
  if (auto [it, inserted] = hs.series.emplace(hash, s); !inserted) {
    hs.collisions[hash].push_back(s);
  }
  {
    MutexLock mlock(&meta_mu_);
    index_->Add(ref, s->labels).IgnoreError();  // refs are fresh; labels were validated
    if (rebuilding_index_) created_while_rebuilding_.push_back(ref);
  }
  *created = true;
  return s;
}

bool Head::ReserveSeries() {
  const uint64_t limit = options_.max_series;
  if (limit == 0) {
    num_series_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  uint64_t n = num_series_.load(std::memory_order_relaxed);
  do {
    if (n >= limit) return false;
  } while (!num_series_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

Status Head::RefusalError(Refusal why, const index::Labels& labels, int64_t t) const {
  std::string what;
  switch (why) {
    case Refusal::kTooNew:
      what = StrCat("sample timestamp ", FormatTimestamp(t), " is more than ",
                    absl::FormatDuration(absl::Milliseconds(options_.max_future_ms)),
                    " ahead of the server clock (--storage.max-future)");
      break;
    case Refusal::kOutOfBounds:
      what = StrCat("sample timestamp ", FormatTimestamp(t),
                    " is out of bounds: older than the head's minimum valid time ",
                    FormatTimestamp(min_valid_time_ms()), " (older data is in blocks)");
      break;
    case Refusal::kOutOfOrder:
      what = options_.ooo_window_ms > 0
                 ? StrCat("out of order sample outside the out-of-order window of ",
                          absl::FormatDuration(absl::Milliseconds(options_.ooo_window_ms)),
                          " (--storage.ooo-window) at timestamp ", FormatTimestamp(t))
                 : StrCat("out of order sample at timestamp ", FormatTimestamp(t),
                          " (older than the series' newest sample; no --storage.ooo-window)");
      break;
    case Refusal::kDuplicate:
      what = StrCat("duplicate sample for timestamp ", FormatTimestamp(t), " with another value");
      break;
    case Refusal::kSeriesLimit:
      what = StrCat("series limit of ", options_.max_series, " reached (--storage.max-series)");
      break;
    case Refusal::kOther:
      what = StrCat("the series' chunk cannot take the sample at timestamp ", FormatTimestamp(t));
      break;
  }
  return absl::InvalidArgumentError(StrCat(what, " (", t, " ms) for series ", labels.ToString()));
}

void Head::UpdateMinMax(int64_t t) {
  int64_t cur = min_time_.load(std::memory_order_relaxed);
  while (t < cur && !min_time_.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
  }
  cur = max_time_.load(std::memory_order_relaxed);
  while (t > cur && !max_time_.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
  }
}

void Head::CutChunkLocked(Series& s, int64_t t) {
  size_t used = 0;
  if (s.open.has_value() && s.open->num_samples() > 0) {
    const std::string_view bytes = s.open->bytes();
    used = bytes.size();
    StatusOr<uint64_t> ref = chunks_->Write(s.ref, s.open_min_time, s.max_time, kXor, bytes);
    if (ref.ok()) {
      s.mapped.push_back({*ref, s.open_min_time, s.max_time});
      num_mmapped_chunks_.fetch_add(1, std::memory_order_relaxed);
    } else {
      // The chunk stays readable from RAM; the WAL still has its samples.
      s.rare().in_memory.push_back({s.open_min_time, s.max_time, std::string(bytes)});
    }
  }
  // The next chunk reuses the buffer: it will likely need as much, and a
  // fresh one would grow through the smaller sizes again, which a million
  // series would leave in the allocator's free lists. Unless the buffer
  // is more than twice what the last chunk used (or a new chunk gets).
  if (s.open.has_value() &&
      s.open->memory_bytes() <= 2 * std::max(used, compression::kXorInitialBytes)) {
    s.open->Clear();
  } else {
    s.open.emplace();
  }
  s.open_min_time = t;
  s.next_at = RangeEnd(t, options_.chunk_range_ms);
}

bool Head::AppendLocked(Series& s, int64_t t, double v, Refusal* why) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (t < min_valid_time_.load(std::memory_order_relaxed)) {
    *why = Refusal::kOutOfBounds;
    return false;
  }
  if (t <= s.max_time) {
    if (t == s.max_time) {
      if (bits == s.last_bits) return true;  // a duplicate of the same sample
      *why = Refusal::kDuplicate;
      return false;
    }
    if (options_.ooo_window_ms <= 0 || t < s.max_time - options_.ooo_window_ms) {
      *why = Refusal::kOutOfOrder;
      return false;
    }
    std::vector<OooSample>& ooo = s.rare().ooo;
    auto pos = std::lower_bound(ooo.begin(), ooo.end(), t,
                                [](const OooSample& a, int64_t b) { return a.t < b; });
    if (pos != ooo.end() && pos->t == t) {
      if (std::bit_cast<uint64_t>(pos->v) == bits) return true;
      *why = Refusal::kDuplicate;
      return false;
    }
    // A sample at a timestamp the chunks already hold is a duplicate too;
    // that check needs a decode, so it is left to the merge on read, which
    // keeps the in-order sample.
    ooo.insert(pos, {t, v});
    return true;
  }
  if (!s.open.has_value() || s.open->num_samples() == 0) {
    CutChunkLocked(s, t);
  } else {
    // The head aims at 120 samples per chunk (see ComputeChunkEndTime) and
    // cuts at twice that if the rate jumps, as Prometheus' head does.
    const int n = static_cast<int>(s.open->num_samples());
    if (n == kSamplesPerChunk / 4) {
      s.next_at = ComputeChunkEndTime(s.open_min_time, s.max_time, s.next_at);
    }
    if (t >= s.next_at || n >= kSamplesPerChunk * 2) CutChunkLocked(s, t);
  }
  if (!s.open->Append(t, v).ok()) {
    // Only a full 16-bit sample count can fail here (t > max_time holds).
    CutChunkLocked(s, t);
    if (!s.open->Append(t, v).ok()) {
      *why = Refusal::kOther;
      return false;
    }
  }
  s.max_time = t;
  s.last_bits = bits;
  return true;
}

void Head::SnapshotLocked(const Series& s, int64_t mint, int64_t maxt, HeadSeriesData* out) const {
  out->labels = s.labels;
  for (const MappedChunk& m : s.mapped) {
    if (m.max_time_ms < mint || m.min_time_ms > maxt) continue;
    StatusOr<PinnedChunk> pinned = chunks_->Read(m.ref);
    if (absl::IsNotFound(pinned.status())) continue;  // truncated away: now in a block
    if (!pinned.ok()) {
      if (out->status.ok()) out->status = Annotate(pinned.status(), "head chunk");
      continue;
    }
    out->chunks.push_back(
        {m.min_time_ms, m.max_time_ms, pinned->chunk.encoding, pinned->chunk.data});
    out->pins.push_back(std::move(*pinned));
  }
  for (const RamChunk& c : s.in_memory()) {
    if (c.max_time_ms < mint || c.min_time_ms > maxt) continue;
    auto keep = std::make_shared<std::string>(c.data);
    out->chunks.push_back({c.min_time_ms, c.max_time_ms, kXor, *keep});
    PinnedChunk pin;
    pin.pin = keep;
    out->pins.push_back(std::move(pin));
  }
  for (const OooSample& o : s.ooo()) {
    if (o.t < mint || o.t > maxt) continue;
    out->ooo_timestamps.push_back(o.t);
    out->ooo_values.push_back(o.v);
  }
  // Mapped and RAM chunks are cut in time order, and a RAM chunk only
  // exists after a failed map, so this sort rarely moves anything.
  std::sort(out->chunks.begin(), out->chunks.end(),
            [](const TimedChunk& a, const TimedChunk& b) { return a.min_time_ms < b.min_time_ms; });
  if (s.open.has_value() && s.open->num_samples() > 0 && s.max_time >= mint &&
      s.open_min_time <= maxt) {
    // A copy on the heap, not in *out: the views must survive moves of
    // *out (a short string would move its bytes).
    auto copy = std::make_shared<std::string>(s.open->bytes());
    out->chunks.push_back({s.open_min_time, s.max_time, kXor, *copy});
    PinnedChunk pin;
    pin.pin = std::move(copy);
    out->pins.push_back(std::move(pin));
  }
}

std::shared_ptr<const index::MemIndex> Head::index() const {
  MutexLock lock(&meta_mu_);
  return index_;
}

std::shared_ptr<const Tombstones> Head::tombstones() const {
  MutexLock lock(&meta_mu_);
  return tombstones_;
}

StatusOr<std::vector<HeadSeriesData>> Head::Select(std::span<const index::Matcher> matchers,
                                                   int64_t mint, int64_t maxt) const {
  std::vector<HeadSeriesData> out;
  if (maxt < min_time_ms() || mint > max_time_ms()) {
    // Still validate the selector, so errors do not depend on the data.
    STRATA_RETURN_IF_ERROR(index()->PostingsForMatchers(matchers).status());
    return out;
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> refs, index()->PostingsForMatchers(matchers));
  const std::shared_ptr<const Tombstones> tombs = tombstones();
  out.reserve(refs.size());
  for (uint64_t ref : refs) {
    RefStripe& stripe = ref_stripe(ref);
    HeadSeriesData data;
    {
      MutexLock lock(&stripe.mu);
      auto it = stripe.series.find(ref);
      if (it == stripe.series.end()) continue;
      SpinLockHolder l(&it->second->mu);
      SnapshotLocked(*it->second, mint, maxt, &data);
    }
    if (const Intervals* iv = tombs->Get(ref); iv != nullptr) {
      // Drop what the tombstones cover entirely, so a deleted series is
      // not selected at all.
      std::erase_if(data.chunks, [&](const TimedChunk& c) {
        return iv->Covers(std::max(c.min_time_ms, mint), std::min(c.max_time_ms, maxt));
      });
      std::vector<int64_t> ts;
      std::vector<double> vs;
      for (size_t i = 0; i < data.ooo_timestamps.size(); ++i) {
        if (iv->Contains(data.ooo_timestamps[i])) continue;
        ts.push_back(data.ooo_timestamps[i]);
        vs.push_back(data.ooo_values[i]);
      }
      data.ooo_timestamps = std::move(ts);
      data.ooo_values = std::move(vs);
      data.deleted = std::shared_ptr<const Intervals>(tombs, iv);
    }
    if (data.chunks.empty() && data.ooo_timestamps.empty()) continue;
    out.push_back(std::move(data));
  }
  index::SortByLabels(out,
                      [](const HeadSeriesData& d) -> const index::Labels& { return d.labels; });
  return out;
}

StatusOr<std::vector<std::string>> Head::LabelNames(
    std::span<const index::Matcher> matchers) const {
  std::shared_ptr<const index::MemIndex> idx = index();
  if (matchers.empty()) return idx->LabelNames();
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> refs, idx->PostingsForMatchers(matchers));
  absl::flat_hash_set<std::string> names;
  for (uint64_t ref : refs) {
    StatusOr<index::Labels> ls = idx->SeriesLabels(ref);
    if (!ls.ok()) continue;
    for (const index::Label& l : *ls) names.emplace(l.name);
  }
  std::vector<std::string> out(names.begin(), names.end());
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::vector<std::string>> Head::LabelValues(
    std::string_view name, std::span<const index::Matcher> matchers) const {
  std::shared_ptr<const index::MemIndex> idx = index();
  if (matchers.empty()) return idx->LabelValues(name);
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> refs, idx->PostingsForMatchers(matchers));
  absl::flat_hash_set<std::string> values;
  for (uint64_t ref : refs) {
    StatusOr<index::Labels> ls = idx->SeriesLabels(ref);
    if (!ls.ok()) continue;
    const std::string_view v = ls->Get(name);
    if (!v.empty()) values.emplace(v);
  }
  std::vector<std::string> out(values.begin(), values.end());
  std::sort(out.begin(), out.end());
  return out;
}

Status Head::Delete(int64_t mint, int64_t maxt, std::span<const index::Matcher> matchers) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> refs, index()->PostingsForMatchers(matchers));
  if (refs.empty()) return absl::OkStatus();
  std::vector<wal::Tombstone> records;
  records.reserve(refs.size());
  for (uint64_t ref : refs) records.push_back({ref, mint, maxt});
  std::string rec;
  wal::EncodeTombstones(records, &rec);
  STRATA_RETURN_IF_ERROR(Annotate(wal_->Log(rec), "log tombstones"));
  MutexLock lock(&meta_mu_);
  auto next = std::make_shared<Tombstones>(*tombstones_);
  for (uint64_t ref : refs) next->Add(ref, {mint, maxt});
  tombstones_ = std::move(next);
  return absl::OkStatus();
}

StatusOr<uint64_t> Head::WriteBlock(BlockWriter& writer, int64_t mint, int64_t maxt) const {
  uint64_t written = 0;
  // The series with data in [mint, maxt), in label order. Truncate runs on
  // the same (compaction) thread, so the Series pointers stay valid.
  std::vector<const Series*> series;
  for (size_t i = 0; i < kStripes; ++i) {
    MutexLock lock(&ref_stripes_[i].mu);
    for (const auto& [ref, s] : ref_stripes_[i].series) series.push_back(s);
  }
  index::SortByLabels(series, [](const Series* s) -> const index::Labels& { return s->labels; });
  {
    absl::flat_hash_set<std::string_view> symbols;
    for (const Series* s : series) {
      for (const index::Label& l : s->labels) {
        symbols.insert(l.name);
        symbols.insert(l.value);
      }
    }
    std::vector<std::string_view> sorted(symbols.begin(), symbols.end());
    std::sort(sorted.begin(), sorted.end());
    STRATA_RETURN_IF_ERROR(writer.AddSymbols(sorted));
  }
  const std::shared_ptr<const Tombstones> tombs = tombstones();
  std::vector<EncodedChunk> encoded;
  std::vector<TimedChunk> chunks;
  for (const Series* s : series) {
    HeadSeriesData data;
    {
      SpinLockHolder l(&s->mu);
      SnapshotLocked(*s, mint, maxt - 1, &data);
    }
    if (data.chunks.empty() && data.ooo_timestamps.empty()) continue;
    const Intervals* deleted = tombs->Get(s->ref);
    bool whole = data.ooo_timestamps.empty() && deleted == nullptr;
    for (const TimedChunk& c : data.chunks) {
      if (c.min_time_ms < mint || c.max_time_ms >= maxt) whole = false;
    }
    if (whole && !ChunksOverlap(data.chunks)) {
      STRATA_RETURN_IF_ERROR(writer.AddSeries(s->labels, data.chunks));
      ++written;
      continue;
    }
    // Re-encode: tombstones, out-of-order samples or chunks that cross
    // the block's edges (after an out-of-order sample moved the head back).
    if (deleted != nullptr) {
      data.deleted = std::shared_ptr<const Intervals>(tombs, deleted);
    }
    std::unique_ptr<SampleIterator> it = data.NewIterator(mint, maxt - 1);
    encoded.clear();
    STRATA_RETURN_IF_ERROR(EncodeChunks(*it, options_.chunk_range_ms, &encoded));
    chunks.clear();
    for (const EncodedChunk& e : encoded) {
      chunks.push_back({e.min_time_ms, e.max_time_ms, e.encoding, e.data});
    }
    if (chunks.empty()) continue;
    STRATA_RETURN_IF_ERROR(writer.AddSeries(s->labels, chunks));
    ++written;
  }
  return written;
}

Status Head::Truncate(int64_t mint) {
  RaiseMinValidTime(mint);
  const std::vector<Series*> emptied = DropDataBefore(mint);
  const absl::flat_hash_set<uint64_t> removed = RemoveEmptySeries(emptied);
  // Built without meta_mu_ (queries and new series go on meanwhile).
  std::shared_ptr<index::MemIndex> fresh = removed.empty() ? nullptr : BuildIndexOfLiveSeries();
  {
    MutexLock lock(&meta_mu_);
    if (fresh != nullptr) InstallIndexLocked(std::move(fresh));
    DropTombstonesLocked(mint, removed);
  }
  STRATA_RETURN_IF_ERROR(Annotate(chunks_->Truncate(mint).status(), "truncate head chunks"));
  return TruncateWal(mint);
}

void Head::RaiseMinValidTime(int64_t mint) {
  int64_t cur = min_valid_time_.load();
  while (mint > cur && !min_valid_time_.compare_exchange_weak(cur, mint)) {
  }
}

int64_t Head::DropDataBeforeLocked(Series& s, int64_t mint) {
  std::erase_if(s.mapped, [&](const MappedChunk& m) { return m.max_time_ms < mint; });
  if (s.rare_ != nullptr) {
    std::erase_if(s.rare_->in_memory, [&](const RamChunk& c) { return c.max_time_ms < mint; });
    std::erase_if(s.rare_->ooo, [&](const OooSample& o) { return o.t < mint; });
    s.TrimRare();
  }
  if (s.open.has_value() && s.open->num_samples() > 0 && s.max_time < mint) {
    s.open.reset();
  }
  return s.MinTime();
}

std::vector<Head::Series*> Head::DropDataBefore(int64_t mint) {
  std::vector<Series*> emptied;
  int64_t new_min = INT64_MAX;
  uint64_t mapped_left = 0;
  for (size_t i = 0; i < kStripes; ++i) {
    RefStripe& stripe = ref_stripes_[i];
    MutexLock lock(&stripe.mu);
    for (auto& [ref, sp] : stripe.series) {
      Series& s = *sp;
      SpinLockHolder l(&s.mu);
      const int64_t smin = DropDataBeforeLocked(s, mint);
      mapped_left += s.mapped.size();
      if (smin == INT64_MAX) {
        if (s.pending == 0) emptied.push_back(&s);
      } else {
        new_min = std::min(new_min, smin);
      }
    }
  }
  num_mmapped_chunks_.store(mapped_left, std::memory_order_relaxed);
  // An empty head has INT64_MAX / INT64_MIN: the next sample sets both.
  min_time_.store(new_min);
  if (new_min == INT64_MAX) max_time_.store(INT64_MIN);
  return emptied;
}

absl::flat_hash_set<uint64_t> Head::RemoveEmptySeries(const std::vector<Series*>& emptied) {
  absl::flat_hash_set<uint64_t> removed;
  for (Series* s : emptied) {
    const uint64_t ref = s->ref;
    const uint64_t hash = LabelsHash(s->labels.encoded());
    HashStripe& hs = hash_stripes_[hash & (kStripes - 1)];
    MutexLock hlock(&hs.mu);
    RefStripe& rs = ref_stripe(ref);
    MutexLock rlock(&rs.mu);
    SpinLockHolder l(&s->mu);
    if (s->pending != 0 || !s->Empty()) continue;
    auto c = hs.collisions.find(hash);
    if (auto it = hs.series.find(hash); it != hs.series.end() && it->second == s) {
      // Promote a colliding series, if any, to the main map.
      if (c != hs.collisions.end()) {
        it->second = c->second.back();
        c->second.pop_back();
      } else {
        hs.series.erase(it);
      }
    } else if (c != hs.collisions.end()) {
      std::erase(c->second, s);
    }
    if (c != hs.collisions.end() && c->second.empty()) hs.collisions.erase(c);
    rs.series.erase(ref);
    // An appender or query that found it without a lock sees ref 0 and
    // lets go; the memory goes to the next new series.
    s->Clear();
    pool_->Free(s);
    removed.insert(ref);
    num_series_.fetch_sub(1, std::memory_order_relaxed);
  }
  return removed;
}

std::shared_ptr<index::MemIndex> Head::BuildIndexOfLiveSeries() {
  {
    MutexLock lock(&meta_mu_);
    rebuilding_index_ = true;
    created_while_rebuilding_.clear();
  }
  auto fresh = std::make_shared<index::MemIndex>();
  for (size_t i = 0; i < kStripes; ++i) {
    RefStripe& stripe = ref_stripes_[i];
    MutexLock rlock(&stripe.mu);
    for (const auto& [ref, sp] : stripe.series) {
      fresh->Add(ref, sp->labels).IgnoreError();  // refs are unique
    }
  }
  return fresh;
}

void Head::InstallIndexLocked(std::shared_ptr<index::MemIndex> fresh) {
  for (uint64_t ref : created_while_rebuilding_) {
    RefStripe& stripe = ref_stripe(ref);
    MutexLock rlock(&stripe.mu);
    auto it = stripe.series.find(ref);
    // Already there if the scan saw it; AlreadyExists is fine.
    if (it != stripe.series.end()) fresh->Add(ref, it->second->labels).IgnoreError();
  }
  created_while_rebuilding_.clear();
  rebuilding_index_ = false;
  index_ = std::move(fresh);
}

void Head::DropTombstonesLocked(int64_t mint, const absl::flat_hash_set<uint64_t>& removed) {
  auto tombs = std::make_shared<Tombstones>();
  for (const auto& [ref, ivs] : tombstones_->by_series()) {
    if (removed.contains(ref)) continue;
    for (const Interval& iv : ivs.list()) {
      if (iv.max_time_ms >= mint) tombs->Add(ref, iv);
    }
  }
  tombstones_ = std::move(tombs);
}

Status Head::TruncateWal(int64_t mint) {
  const std::string wal_dir = JoinPath(dir_, kWalDir);
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segments, wal::ListSegments(env_, wal_dir));
  STRATA_ASSIGN_OR_RETURN(uint32_t current, wal_->NextSegment());
  if (segments.empty()) return absl::OkStatus();
  // Prometheus' truncateWAL: never the segment being written; only the
  // lower two thirds, which hold mostly samples now in blocks.
  const uint32_t first = segments.front();
  if (current == 0) return absl::OkStatus();
  uint32_t last = current - 1;
  last = first + (last - first) * 2 / 3;
  if (last <= first) return absl::OkStatus();
  auto keep = [this](uint64_t ref) { return Contains(ref); };
  wal::CheckpointOptions opts;
  opts.compress = options_.wal.compress;
  Status s = wal::Checkpoint(env_, wal_dir, last, keep, mint, opts).status();
  if (s.ok()) return s;
  // The in-memory head is truncated already; the WAL stays whole (nothing
  // is deleted by a failed checkpoint) and the next truncation tries again.
  // Replay drops the samples before the head's new start anyway.
  wal_checkpoints_failed_.fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(&checkpoint_mu_);
  last_checkpoint_error_ = Annotate(s, StrCat("WAL checkpoint up to segment ", last));
  return absl::OkStatus();
}

Status Head::last_checkpoint_error() const {
  MutexLock lock(&checkpoint_mu_);
  return last_checkpoint_error_;
}

uint64_t Head::num_chunks() const {
  return num_mmapped_chunks_.load(std::memory_order_relaxed) + num_series();
}

uint64_t Head::wal_bytes() const {
  const std::string wal_dir = JoinPath(dir_, kWalDir);
  uint64_t total = 0;
  StatusOr<std::vector<std::string>> names = env_.GetChildren(wal_dir);
  if (!names.ok()) return 0;
  for (const std::string& n : *names) {
    const std::string path = JoinPath(wal_dir, n);
    if (env_.IsDirectory(path)) {
      StatusOr<std::vector<std::string>> inner = env_.GetChildren(path);
      if (!inner.ok()) continue;
      for (const std::string& m : *inner) {
        StatusOr<uint64_t> size = env_.GetFileSize(JoinPath(path, m));
        if (size.ok()) total += *size;
      }
      continue;
    }
    StatusOr<uint64_t> size = env_.GetFileSize(path);
    if (size.ok()) total += *size;
  }
  return total;
}

wal::WriterStats Head::wal_stats() const {
  return wal_ != nullptr ? wal_->stats() : wal::WriterStats{};
}

uint64_t Head::head_chunk_bytes() const { return chunks_->size_bytes(); }

Status Head::Close() {
  Status s = chunks_->Close();
  if (wal_ != nullptr) {
    Status w = wal_->Close();
    if (s.ok()) s = w;
  }
  return s;
}

}  // namespace strata::engine
