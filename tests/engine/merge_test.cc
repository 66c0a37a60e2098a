#include "engine/merge.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "compression/xor_chunk.h"
#include "gtest/gtest.h"

namespace strata::engine {
namespace {

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

struct Sample {
  int64_t t;
  uint64_t v;  // bits
  bool operator==(const Sample&) const = default;
};

// Owns encoded chunk bytes so TimedChunks can point at them.
struct ChunkSet {
  std::vector<std::string> bytes;
  std::vector<std::vector<Sample>> samples;  // per chunk, for the reference
  std::vector<TimedChunk> Timed() const {
    std::vector<TimedChunk> out;
    for (size_t i = 0; i < bytes.size(); ++i) {
      out.push_back(
          {samples[i].front().t, samples[i].back().t, compression::ChunkEncoding::kXor, bytes[i]});
    }
    return out;
  }
};

std::string Encode(const std::vector<Sample>& s) {
  compression::XorChunk c;
  for (const Sample& x : s) {
    EXPECT_TRUE(c.Append(x.t, std::bit_cast<double>(x.v)).ok());
  }
  return std::string(c.bytes());
}

// The samples the iterator must yield: first chunk wins per timestamp.
std::vector<Sample> Reference(const ChunkSet& cs, const Intervals* del, int64_t mint,
                              int64_t maxt) {
  std::map<int64_t, uint64_t> m;
  for (const auto& chunk : cs.samples) {
    for (const Sample& s : chunk) {
      m.emplace(s.t, s.v);
    }
  }
  std::vector<Sample> out;
  for (const auto& [t, v] : m) {
    if (t < mint || t > maxt) {
      continue;
    }
    if (del != nullptr && del->Contains(t)) {
      continue;
    }
    out.push_back({t, v});
  }
  return out;
}

std::vector<Sample> Drain(SampleIterator& it) {
  std::vector<Sample> out;
  while (it.Next()) {
    out.push_back({it.timestamp_ms(), std::bit_cast<uint64_t>(it.value())});
  }
  EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

uint64_t RandomValue(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return kStaleNaN;
    case 1:
      return std::bit_cast<uint64_t>(static_cast<double>(rng() % 10));
    default:
      return std::bit_cast<uint64_t>(static_cast<double>(rng() % 100000) / 7.0);
  }
}

// `sources` series of random increasing timestamps over [0, span), each cut
// into chunks of random size; sorted by min time (stable).
ChunkSet RandomChunks(std::mt19937_64& rng, int sources, int64_t span) {
  std::vector<std::vector<Sample>> chunks;
  for (int src = 0; src < sources; ++src) {
    const int64_t step = 1 + static_cast<int64_t>(rng() % 20);
    const int64_t start = static_cast<int64_t>(rng() % static_cast<uint64_t>(span / 2)) - 50;
    const int64_t len = static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    std::vector<Sample> cur;
    const size_t cut = 1 + rng() % 300;
    for (int64_t t = start; t < start + len; t += 1 + static_cast<int64_t>(rng() % step)) {
      cur.push_back({t, RandomValue(rng)});
      if (cur.size() >= cut) {
        chunks.push_back(std::move(cur)), cur.clear();
      }
    }
    if (!cur.empty()) {
      chunks.push_back(std::move(cur));
    }
  }
  std::stable_sort(chunks.begin(), chunks.end(),
                   [](const auto& a, const auto& b) { return a.front().t < b.front().t; });
  ChunkSet cs;
  for (auto& c : chunks) {
    cs.bytes.push_back(Encode(c));
    cs.samples.push_back(std::move(c));
  }
  return cs;
}

Intervals RandomTombstones(std::mt19937_64& rng, int64_t span) {
  Intervals ivs;
  const int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    const int64_t a = static_cast<int64_t>(rng() % static_cast<uint64_t>(span)) - 50;
    ivs.Add({a, a + static_cast<int64_t>(rng() % 400)});
  }
  return ivs;
}

TEST(ChunkSampleIteratorTest, MatchesBruteForceOnRandomChunks) {
  std::mt19937_64 rng(42);
  int overlapping = 0;
  int nonempty = 0;
  for (int round = 0; round < 300; ++round) {
    const int64_t span = 2000 + static_cast<int64_t>(rng() % 20000);
    const ChunkSet cs = RandomChunks(rng, 1 + static_cast<int>(rng() % 4), span);
    const Intervals del = RandomTombstones(rng, span);
    const bool use_del = rng() % 2 == 0;
    int64_t mint = std::numeric_limits<int64_t>::min();
    int64_t maxt = std::numeric_limits<int64_t>::max();
    if (rng() % 2 == 0) {
      mint = static_cast<int64_t>(rng() % static_cast<uint64_t>(span)) - 100;
    }
    if (rng() % 2 == 0) {
      maxt = static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    }
    const Intervals* d = use_del ? &del : nullptr;
    const std::vector<Sample> ref = Reference(cs, d, mint, maxt);
    overlapping += ChunksOverlap(cs.Timed()) ? 1 : 0;
    nonempty += ref.empty() ? 0 : 1;
    auto it = NewChunkSampleIterator(cs.Timed(), d, mint, maxt);
    ASSERT_EQ(Drain(*it), ref) << "round " << round;
  }
  // The generator covers both paths.
  EXPECT_GT(overlapping, 100);
  EXPECT_LT(overlapping, 250);
  EXPECT_GT(nonempty, 200);
}

TEST(ChunkSampleIteratorTest, SeekAndNextAgreeWithBruteForce) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    const int64_t span = 2000 + static_cast<int64_t>(rng() % 20000);
    const ChunkSet cs = RandomChunks(rng, 1 + static_cast<int>(rng() % 3), span);
    const Intervals del = RandomTombstones(rng, span);
    const int64_t mint = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 500) : -1000;
    const int64_t maxt = rng() % 3 == 0 ? span - static_cast<int64_t>(rng() % 500) : 1 << 30;
    const std::vector<Sample> ref = Reference(cs, &del, mint, maxt);
    auto it = NewChunkSampleIterator(cs.Timed(), &del, mint, maxt);
    // Model: index into ref, -1 before the first call.
    int64_t i = -1;
    for (int op = 0; op < 200; ++op) {
      bool got;
      bool want;
      if (rng() % 3 == 0) {
        got = it->Next();
        if (i < static_cast<int64_t>(ref.size())) {
          ++i;
        }
        want = i < static_cast<int64_t>(ref.size());
      } else {
        const int64_t t = static_cast<int64_t>(rng() % static_cast<uint64_t>(span + 200)) - 100;
        got = it->Seek(t);
        const bool stays = i >= 0 && i < static_cast<int64_t>(ref.size()) && ref[i].t >= t;
        if (!stays) {
          const auto from = ref.begin() + std::max<int64_t>(i, 0);
          const auto pos = std::lower_bound(from, ref.end(), t,
                                            [](const Sample& s, int64_t x) { return s.t < x; });
          i = std::max<int64_t>(pos - ref.begin(), std::max<int64_t>(i, 0));
        }
        want = i < static_cast<int64_t>(ref.size());
      }
      ASSERT_EQ(got, want) << "round " << round << " op " << op;
      if (!got) {
        break;
      }
      ASSERT_EQ(it->timestamp_ms(), ref[i].t) << "round " << round << " op " << op;
      ASSERT_EQ(std::bit_cast<uint64_t>(it->value()), ref[i].v);
    }
    ASSERT_TRUE(it->status().ok());
  }
}

TEST(ChunkSampleIteratorTest, EqualTimestampsYieldFirstChunksValue) {
  ChunkSet cs;
  cs.samples = {{{10, 1}, {20, 2}, {30, 3}}, {{10, 100}, {20, 200}, {25, 250}, {30, 300}}};
  for (auto& s : cs.samples) {
    cs.bytes.push_back(Encode(s));
  }
  auto it = NewChunkSampleIterator(cs.Timed(), nullptr, 0, 100);
  EXPECT_EQ(Drain(*it), (std::vector<Sample>{{10, 1}, {20, 2}, {25, 250}, {30, 3}}));
}

TEST(ChunkSampleIteratorTest, SeekSkipsWholeChunksAndStaysPut) {
  ChunkSet cs;
  for (int c = 0; c < 10; ++c) {
    std::vector<Sample> s;
    for (int k = 0; k < 120; ++k) {
      s.push_back({c * 1000 + k * 5, static_cast<uint64_t>(k)});
    }
    cs.bytes.push_back(Encode(s));
    cs.samples.push_back(s);
  }
  auto it = NewChunkSampleIterator(cs.Timed(), nullptr, std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(it->Seek(7003));
  EXPECT_EQ(it->timestamp_ms(), 7005);
  ASSERT_TRUE(it->Seek(10));  // backwards: stays put
  EXPECT_EQ(it->timestamp_ms(), 7005);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->timestamp_ms(), 7010);
  ASSERT_TRUE(it->Seek(7596));  // past the chunk's last sample (7595)
  EXPECT_EQ(it->timestamp_ms(), 8000);
  EXPECT_FALSE(it->Seek(9596));
  EXPECT_FALSE(it->Next());
  EXPECT_TRUE(it->status().ok());
}

TEST(ChunkSampleIteratorTest, UnknownEncodingAndDamageAreDataLoss) {
  const std::string good = Encode({{1, 1}, {2, 2}});
  std::vector<TimedChunk> chunks = {
      {1, 2, compression::ChunkEncoding::kXor, good},
      {3, 4, compression::ChunkEncoding::kHistogram, good},
  };
  auto it = NewChunkSampleIterator(chunks, nullptr, 0, 10);
  while (it->Next()) {
  }
  EXPECT_EQ(it->status().code(), absl::StatusCode::kDataLoss) << it->status();
  EXPECT_EQ(it->status().message(),
            "chunk 1 [3, 4]: chunk encoding 2 (histogram) is not supported");
  chunks[1].encoding = static_cast<compression::ChunkEncoding>(200);
  auto unknown = NewChunkSampleIterator(chunks, nullptr, 0, 10);
  EXPECT_FALSE(unknown->Next());
  EXPECT_EQ(unknown->status().message(), "chunk 1 [3, 4]: unknown chunk encoding 200");
  // Out of the queried range, such a chunk is never looked at.
  auto outside = NewChunkSampleIterator(chunks, nullptr, 0, 2);
  ASSERT_TRUE(outside->Next());
  ASSERT_TRUE(outside->Next());
  EXPECT_FALSE(outside->Next());
  EXPECT_TRUE(outside->status().ok()) << outside->status();

  std::vector<Sample> many;
  for (int k = 0; k < 100; ++k) {
    many.push_back({k * 15, std::bit_cast<uint64_t>(k * 1.5)});
  }
  std::string damaged = Encode(many);
  damaged.resize(damaged.size() / 2);
  auto it2 = NewChunkSampleIterator({{0, 99 * 15, compression::ChunkEncoding::kXor, damaged}},
                                    nullptr, 0, 1 << 20);
  while (it2->Next()) {
  }
  EXPECT_EQ(it2->status().code(), absl::StatusCode::kDataLoss) << it2->status();
}

TEST(ChunkSampleIteratorTest, ChunksOverlap) {
  using C = TimedChunk;
  std::vector<C> a = {C{0, 9, {}, {}}, C{10, 19, {}, {}}};
  EXPECT_FALSE(ChunksOverlap(a));
  a.push_back(C{19, 25, {}, {}});
  EXPECT_TRUE(ChunksOverlap(a));
  std::vector<C> b = {C{0, 100, {}, {}}, C{10, 20, {}, {}}};
  EXPECT_TRUE(ChunksOverlap(b));
  std::vector<C> c = {C{0, 100, {}, {}}, C{10, 20, {}, {}}, C{50, 60, {}, {}}};
  EXPECT_FALSE(ChunksOverlap(std::span<const C>(c).subspan(1)));
  EXPECT_FALSE(ChunksOverlap({}));
}

std::unique_ptr<SampleIterator> Vec(std::vector<Sample> s) {
  std::vector<int64_t> ts;
  std::vector<double> vs;
  for (const Sample& x : s) {
    ts.push_back(x.t);
    vs.push_back(std::bit_cast<double>(x.v));
  }
  return NewVectorSampleIterator(std::move(ts), std::move(vs));
}

TEST(MergeSampleIteratorTest, DeduplicatesEarliestIteratorWins) {
  std::vector<std::unique_ptr<SampleIterator>> its;
  its.push_back(Vec({{1, 10}, {3, 30}, {5, 50}}));
  its.push_back(Vec({{2, 200}, {3, 300}, {6, 600}}));
  its.push_back(Vec({{1, 1000}, {6, 6000}, {7, kStaleNaN}}));
  auto m = NewMergeSampleIterator(std::move(its));
  EXPECT_EQ(Drain(*m),
            (std::vector<Sample>{{1, 10}, {2, 200}, {3, 30}, {5, 50}, {6, 600}, {7, kStaleNaN}}));
}

// An iterator that fails after its samples.
class FailingIterator final : public SampleIterator {
 public:
  bool Next() override { return false; }
  bool Seek(int64_t) override { return false; }
  int64_t timestamp_ms() const override { return 0; }
  double value() const override { return 0; }
  Status status() const override { return absl::DataLossError("broken"); }
};

// Walks `m` with a random mix of Next and Seek and checks every sample
// against `ref`, the merged samples in time order.
void CheckRandomWalk(SampleIterator& m, const std::vector<Sample>& ref, std::mt19937_64& rng,
                     int64_t max_t) {
  size_t i = 0;
  bool started = false;
  while (true) {
    bool got;
    if (rng() % 2 == 0) {
      got = m.Next();
      if (started) {
        ++i;
      }
    } else {
      const int64_t t = static_cast<int64_t>(rng() % static_cast<uint64_t>(max_t));
      got = m.Seek(t);
      if (!started || i >= ref.size() || ref[i].t < t) {
        while (i < ref.size() && ref[i].t < t) {
          ++i;
        }
      }
    }
    started = true;
    ASSERT_EQ(got, i < ref.size());
    if (!got) {
      break;
    }
    ASSERT_EQ(m.timestamp_ms(), ref[i].t);
    ASSERT_EQ(std::bit_cast<uint64_t>(m.value()), ref[i].v);
  }
  ASSERT_TRUE(m.status().ok());
}

TEST(MergeSampleIteratorTest, RandomAgainstBruteForceWithSeek) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    const int n = static_cast<int>(rng() % 5);
    std::map<int64_t, uint64_t> ref_map;
    std::vector<std::unique_ptr<SampleIterator>> its;
    for (int k = 0; k < n; ++k) {
      std::vector<Sample> s;
      for (int64_t t = static_cast<int64_t>(rng() % 50); t < 1000;
           t += 1 + static_cast<int64_t>(rng() % 30)) {
        s.push_back({t, RandomValue(rng)});
        ref_map.emplace(t, s.back().v);
      }
      its.push_back(Vec(s));
    }
    std::vector<Sample> ref;
    for (const auto& [t, v] : ref_map) {
      ref.push_back({t, v});
    }
    auto m = NewMergeSampleIterator(std::move(its));
    SCOPED_TRACE(round);
    CheckRandomWalk(*m, ref, rng, 1100);
  }
}

TEST(MergeSampleIteratorTest, InputsWithDisjointRangesAreReadInTurn) {
  // Blocks of one series and then the head: each input's range is given,
  // some inputs are empty, and in every other round two ranges touch so
  // the merge must fall back to its heap. Either way the samples are the
  // merge's.
  std::mt19937_64 rng(12);
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + static_cast<int>(rng() % 5);
    const bool touching = round % 2 == 1 && n > 1;
    std::map<int64_t, uint64_t> ref_map;
    std::vector<std::unique_ptr<SampleIterator>> its;
    std::vector<TimeRange> ranges;
    for (int k = 0; k < n; ++k) {
      const int64_t lo = k * 200, hi = lo + 150 + (touching && k == 0 ? 50 : 0);
      std::vector<Sample> s;
      for (int64_t t = lo + static_cast<int64_t>(rng() % 20); t <= hi && rng() % 8 != 0;
           t += 1 + static_cast<int64_t>(rng() % 30)) {
        s.push_back({t, RandomValue(rng)});
        ref_map.emplace(t, s.back().v);
      }
      its.push_back(Vec(s));
      ranges.push_back({lo, hi});
    }
    std::vector<Sample> ref;
    for (const auto& [t, v] : ref_map) ref.push_back({t, v});
    auto m = NewMergeSampleIterator(std::move(its), ranges);
    SCOPED_TRACE(round);
    CheckRandomWalk(*m, ref, rng, n * 200 + 100);
  }
}

TEST(MergeSampleIteratorTest, ErrorOfAnInputReadInTurnIsReported) {
  std::vector<std::unique_ptr<SampleIterator>> its;
  its.push_back(Vec({{1, 10}}));
  its.push_back(std::make_unique<FailingIterator>());
  its.push_back(Vec({{30, 10}}));
  const std::vector<TimeRange> ranges = {{0, 9}, {10, 19}, {20, 39}};
  auto m = NewMergeSampleIterator(std::move(its), ranges);
  ASSERT_TRUE(m->Next());
  EXPECT_FALSE(m->Next());
  EXPECT_EQ(m->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(m->Seek(30));
}

TEST(MergeSampleIteratorTest, ErrorOfAnyInputIsReported) {
  std::vector<std::unique_ptr<SampleIterator>> its;
  its.push_back(Vec({{1, 10}}));
  its.push_back(std::make_unique<FailingIterator>());
  auto m = NewMergeSampleIterator(std::move(its));
  while (m->Next()) {
  }
  EXPECT_EQ(m->status().code(), absl::StatusCode::kDataLoss);
}

std::vector<Sample> Decode(const std::vector<EncodedChunk>& chunks) {
  std::vector<TimedChunk> tc;
  for (const EncodedChunk& c : chunks) {
    tc.push_back({c.min_time_ms, c.max_time_ms, compression::ChunkEncoding::kXor, c.data});
  }
  auto it = NewChunkSampleIterator(tc, nullptr, std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max());
  return Drain(*it);
}

TEST(MergeEncodeChunksTest, CutsAt120SamplesAndRoundTripsBits) {
  std::vector<Sample> s;
  for (int k = 0; k < 250; ++k) {
    s.push_back({k * 15000, k % 7 == 0 ? kStaleNaN : std::bit_cast<uint64_t>(k * 0.25)});
  }
  auto it = Vec(s);
  std::vector<EncodedChunk> out;
  ASSERT_TRUE(EncodeChunks(*it, 0, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].min_time_ms, 0);
  EXPECT_EQ(out[0].max_time_ms, 119 * 15000);
  EXPECT_EQ(out[1].min_time_ms, 120 * 15000);
  EXPECT_EQ(out[2].max_time_ms, 249 * 15000);
  EXPECT_EQ(compression::XorIterator(out[0].data).num_samples(), 120u);
  EXPECT_EQ(compression::XorIterator(out[2].data).num_samples(), 10u);
  EXPECT_EQ(Decode(out), s);
}

TEST(MergeEncodeChunksTest, CutsAtRangeBoundariesIncludingNegativeTimes) {
  std::vector<Sample> s;
  for (int64_t t = -2500; t < 2500; t += 100) {
    s.push_back({t, std::bit_cast<uint64_t>(1.0)});
  }
  auto it = Vec(s);
  std::vector<EncodedChunk> out;
  ASSERT_TRUE(EncodeChunks(*it, 1000, &out).ok());
  // Boundaries at -2000, -1000, 0, 1000, 2000.
  ASSERT_EQ(out.size(), 6u);
  for (const EncodedChunk& c : out) {
    const int64_t lo = c.min_time_ms >= 0 ? c.min_time_ms / 1000 : (c.min_time_ms - 999) / 1000;
    const int64_t hi = c.max_time_ms >= 0 ? c.max_time_ms / 1000 : (c.max_time_ms - 999) / 1000;
    EXPECT_EQ(lo, hi) << c.min_time_ms << ".." << c.max_time_ms;
  }
  EXPECT_EQ(out[0].min_time_ms, -2500);
  EXPECT_EQ(out[0].max_time_ms, -2100);
  EXPECT_EQ(out[3].min_time_ms, 0);
  EXPECT_EQ(Decode(out), s);

  // Both rules at once: 1 sample/ms, range 1000 -> 120-sample cuts reset at
  // each boundary.
  std::vector<Sample> dense;
  for (int64_t t = 0; t < 2000; ++t) {
    dense.push_back({t, std::bit_cast<uint64_t>(0.5)});
  }
  auto it2 = Vec(dense);
  out.clear();
  ASSERT_TRUE(EncodeChunks(*it2, 1000, &out).ok());
  ASSERT_EQ(out.size(), 18u);  // 9 per range: 8 x 120 + 40
  EXPECT_EQ(out[8].min_time_ms, 960);
  EXPECT_EQ(out[8].max_time_ms, 999);
  EXPECT_EQ(out[9].min_time_ms, 1000);
  EXPECT_EQ(Decode(out), dense);
}

TEST(MergeEncodeChunksTest, ReencodesMergedOverlappingChunks) {
  std::mt19937_64 rng(5);
  const ChunkSet cs = RandomChunks(rng, 3, 5000);
  const std::vector<Sample> ref = Reference(cs, nullptr, std::numeric_limits<int64_t>::min(),
                                            std::numeric_limits<int64_t>::max());
  auto it = NewChunkSampleIterator(cs.Timed(), nullptr, std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max());
  std::vector<EncodedChunk> out;
  ASSERT_TRUE(EncodeChunks(*it, 0, &out).ok());
  std::vector<TimedChunk> tc;
  for (const EncodedChunk& c : out) {
    tc.push_back({c.min_time_ms, c.max_time_ms, compression::ChunkEncoding::kXor, c.data});
  }
  EXPECT_FALSE(ChunksOverlap(tc));
  EXPECT_EQ(Decode(out), ref);
}

TEST(MergeEncodeChunksTest, PropagatesInputError) {
  FailingIterator f;
  std::vector<EncodedChunk> out;
  EXPECT_EQ(EncodeChunks(f, 0, &out).code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace strata::engine
