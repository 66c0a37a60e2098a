// HeadAppender: a transaction of samples, checked as they are appended,
// logged to the WAL as one batch at Commit and only then applied
// (Prometheus' headAppender in tsdb/head_append.go).
#include <algorithm>
#include <bit>

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/head.h"
#include "engine/internal/head_series.h"
#include "wal/records.h"

namespace strata::engine {

void HeadAppender::AddPending(Head::Series& s, int64_t t, double v) {
  Pending p{&s, nullptr, nullptr, !s.logged.load(std::memory_order_acquire)};
  if (s.open.has_value()) {
    p.chunk_header = s.open->header_address();
    p.chunk_tail = s.open->tail_address();
    // Start fetching the chunk now, while the caller goes on appending:
    // by Commit it is in a cache, and the fetches overlapped.
    Prefetch(p);
  }
  pending_.push_back(p);
  samples_.push_back({s.ref, t, v});
}

bool HeadAppender::TooNew(int64_t t) {
  if (max_valid_time_set_ && t <= max_valid_time_) return false;
  // Read the clock again: the bound read earlier in the transaction may
  // be stale.
  const int64_t now = head_.env_.NowMillis(), ahead = head_.options_.max_future_ms;
  max_valid_time_ = now > INT64_MAX - ahead ? INT64_MAX : now + ahead;
  max_valid_time_set_ = true;
  return t > max_valid_time_;
}

Status HeadAppender::Check(Head::Series& s, int64_t t, double v, bool* duplicate) {
  *duplicate = false;
  Refusal why = Refusal::kOther;
  if (t < head_.min_valid_time_ms()) {
    why = Refusal::kOutOfBounds;
  } else if (t > s.max_time) {
    if (!TooNew(t)) return absl::OkStatus();
    why = Refusal::kTooNew;
  } else if (t == s.max_time) {
    if (std::bit_cast<uint64_t>(v) == s.last_bits) {
      *duplicate = true;
      return absl::OkStatus();
    }
    why = Refusal::kDuplicate;
  } else {
    const int64_t window = head_.options_.ooo_window_ms;
    if (window > 0 && t >= s.max_time - window) return absl::OkStatus();
    why = Refusal::kOutOfOrder;
  }
  head_.CountRefusal(why);
  return head_.RefusalError(why, s.labels, t);
}

StatusOr<uint64_t> HeadAppender::Append(std::span<const LabelView> labels, int64_t t, double v) {
  sorted_.clear();
  for (const LabelView& l : labels) {
    if (l.name.empty()) return absl::InvalidArgumentError("label with an empty name");
    if (!l.value.empty()) sorted_.push_back(l);
  }
  auto by_name = [](const LabelView& a, const LabelView& b) { return a.name < b.name; };
  if (!std::is_sorted(sorted_.begin(), sorted_.end(), by_name)) {
    std::sort(sorted_.begin(), sorted_.end(), by_name);
  }
  if (sorted_.empty()) return absl::InvalidArgumentError("empty label set");
  encoded_.clear();
  for (size_t i = 0; i < sorted_.size(); ++i) {
    if (i > 0 && sorted_[i].name == sorted_[i - 1].name) {
      return absl::InvalidArgumentError(
          StrCat("label name \"", sorted_[i].name, "\" appears twice"));
    }
    index::AppendLabelEncoding(&encoded_, sorted_[i].name, sorted_[i].value);
  }
  if (TooNew(t)) {
    // Before the series is looked up, so a refused sample creates none.
    head_.CountRefusal(Refusal::kTooNew);
    index::Labels labels;
    if (!index::Labels::FromEncoded(encoded_, &labels)) labels = {};  // for the message only
    return head_.RefusalError(Refusal::kTooNew, labels, t);
  }
  const uint64_t hash = LabelsHash(encoded_);
  bool created = false;
  STRATA_ASSIGN_OR_RETURN(Head::Series * s, head_.GetOrCreate(encoded_, hash, 0, &created));
  bool duplicate = false;
  Status st;
  uint64_t handle;
  {
    SpinLockHolder lock(&s->mu);
    st = Check(*s, t, v, &duplicate);
    if (!st.ok() || duplicate) {
      --s->pending;
    } else {
      AddPending(*s, t, v);
    }
    handle = s->handle();
  }
  if (!st.ok()) return st;
  return handle;
}

inline Status HeadAppender::AppendTo(Head::Series* s, uint64_t handle, int64_t t, double v) {
  if (s != nullptr) {
    SpinLockHolder lock(&s->mu);
    if (SeriesPool::Matches(*s, handle)) {
      bool duplicate = false;
      STRATA_RETURN_IF_ERROR(Check(*s, t, v, &duplicate));
      if (duplicate) return absl::OkStatus();
      ++s->pending;
      AddPending(*s, t, v);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(StrCat("no series with ref ", handle));
}

Status HeadAppender::Append(uint64_t handle, int64_t t, double v) {
  return AppendTo(head_.pool_->Find(handle), handle, t, v);
}

Status HeadAppender::Append(std::span<const RefSample> samples, size_t* left_out,
                            CommitStats* stats) {
  // At a million series each sample's series is in no cache, and checking
  // it waits for memory: ask for the series kAhead samples on (its first
  // two cache lines, all that an append reads) so the waits overlap.
  constexpr size_t kAhead = 8;
  const SeriesPool& pool = *head_.pool_;
  auto fetch = [&pool](uint64_t handle) {
    if (const Head::Series* s = pool.Find(handle); s != nullptr) PrefetchForAppend(s);
  };
  const size_t n = samples.size();
  for (size_t i = 0; i < std::min(kAhead, n); ++i) fetch(samples[i].ref);
  size_t bad = 0;
  Status first;
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) fetch(samples[i + kAhead].ref);
    const RefSample& r = samples[i];
    Status st = AppendTo(pool.Find(r.ref), r.ref, r.timestamp_ms, r.value);
    if (st.ok()) continue;
    if (absl::IsInvalidArgument(st)) ++stats->refused;
    if (bad++ == 0) first = std::move(st);
  }
  *left_out = bad;
  if (bad == 0) return absl::OkStatus();
  return Status(first.code(), StrCat(first.message(), " (", bad, " of ", n, " samples left out)"));
}

Status HeadAppender::Commit(CommitStats* stats) {
  if (pending_.empty()) {
    max_valid_time_set_ = false;
    return absl::OkStatus();
  }
  // New series first, so the WAL declares a series before its samples;
  // a series another appender is logging right now may be declared twice,
  // which replay accepts.
  std::vector<wal::RefSeries> series;
  absl::flat_hash_set<Head::Series*> to_mark;
  for (const Pending& p : pending_) {
    if (!p.unlogged || p.series->logged.load(std::memory_order_acquire)) continue;
    if (!to_mark.insert(p.series).second) continue;
    wal::RefSeries rs;
    rs.ref = p.series->ref;
    for (const index::Label& l : p.series->labels) rs.labels.emplace_back(l.name, l.value);
    series.push_back(std::move(rs));
  }
  std::string series_rec;
  record_.clear();
  if (!series.empty()) wal::EncodeSeries(series, &series_rec);
  wal::EncodeSamples(samples_, &record_);
  std::string_view recs[2];
  size_t n = 0;
  if (!series_rec.empty()) recs[n++] = series_rec;
  recs[n++] = record_;
  Status logged = head_.wal_->Log(std::span<const std::string_view>(recs, n));
  max_valid_time_set_ = false;
  if (!logged.ok()) {
    Rollback();
    return Annotate(logged, "write WAL");
  }
  for (Head::Series* s : to_mark) s->logged.store(true, std::memory_order_release);

  uint64_t refused = 0;
  Status first;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  // Each sample writes to its series' chunk, which with many series is in
  // no cache: fetch a few samples ahead.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < std::min(kAhead, pending_.size()); ++i) Prefetch(pending_[i]);
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (i + kAhead < pending_.size()) Prefetch(pending_[i + kAhead]);
    Head::Series& s = *pending_[i].series;
    const wal::RefSample& r = samples_[i];
    Refusal why = Refusal::kOther;
    SpinLockHolder lock(&s.mu);
    if (head_.AppendLocked(s, r.t, r.v, &why)) {
      lo = std::min(lo, r.t);
      hi = std::max(hi, r.t);
    } else {
      head_.CountRefusal(why);
      if (refused++ == 0) first = head_.RefusalError(why, s.labels, r.t);
    }
    --s.pending;
  }
  if (lo <= hi) {
    head_.UpdateMinMax(lo);
    head_.UpdateMinMax(hi);
  }
  if (stats != nullptr) {
    stats->samples += pending_.size() - refused;
    stats->refused += refused;
  }
  pending_.clear();
  samples_.clear();
  max_valid_time_set_ = false;
  if (refused == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat(first.message(), " (", refused, " samples of this commit refused)"));
}

void HeadAppender::Rollback() {
  for (const Pending& p : pending_) {
    SpinLockHolder lock(&p.series->mu);
    --p.series->pending;
  }
  pending_.clear();
  samples_.clear();
  max_valid_time_set_ = false;
}

}  // namespace strata::engine
