// Fragment parsing and record reassembly (see segment_reader.h and
// Prometheus tsdb/wlog/reader.go).
#include "wal/segment_reader.h"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "wal/format.h"

namespace strata::wal {
namespace {

// Snappy emits at most 64 output bytes per 3 input bytes; a larger claim is
// damage, and refusing it bounds the allocation a hostile length can cause.
constexpr uint64_t kMaxSnappyRatio = 32;
// zstd has no such ratio; a decompressed record larger than this is taken
// as damage (Prometheus' records are a batch of one scrape or request).
constexpr size_t kMaxZstdRecordBytes = 64 << 20;

}  // namespace

SegmentReader::SegmentReader(std::string_view data, std::string name)
    : data_(data), name_(std::move(name)) {}

bool SegmentReader::Fail(uint64_t offset, std::string_view what, bool torn) {
  torn_ = torn;
  status_ = absl::DataLossError(absl::StrFormat("%s offset %d: %s", name_, offset, what));
  return false;
}

// At a page-terminator byte: the rest of the page (or of the data, if it
// ends first) must be zeros. Advances pos_ to the next page.
bool SegmentReader::SkipPadding() {
  const uint64_t page_end = std::min<uint64_t>((pos_ / kPageSize + 1) * kPageSize, data_.size());
  for (uint64_t i = pos_; i < page_end; ++i) {
    if (data_[i] != 0) return Fail(i, "unexpected non-zero byte in padded page", false);
  }
  pos_ = page_end;
  return true;
}

bool SegmentReader::Next() {
  if (!status_.ok()) return false;
  fragments_.clear();
  record_ = {};
  uint8_t flags = 0;
  for (int i = 0;; ++i) {
    if (i == 0) record_offset_ = pos_;
    if (pos_ == data_.size()) {
      if (i == 0) return false;  // clean end
      return Fail(record_offset_, "segment ends inside a record", true);
    }
    const uint8_t header = static_cast<uint8_t>(data_[pos_]);
    const auto type = static_cast<FragmentType>(header & kFragmentTypeMask);
    if (type == FragmentType::kPageTerm) {
      if (!SkipPadding()) return false;
      --i;  // padding is not a fragment
      continue;
    }
    if (data_.size() - pos_ < kFragmentHeaderSize) {
      return Fail(pos_, "segment ends inside a fragment header", true);
    }
    const uint16_t length = compression::LoadBE16(data_.data() + pos_ + 1);
    const uint32_t crc = compression::LoadBE32(data_.data() + pos_ + 3);
    if (pos_ % kPageSize + kFragmentHeaderSize + length > kPageSize) {
      return Fail(pos_, absl::StrFormat("fragment of %d bytes crosses a page boundary", length),
                  false);
    }
    if (data_.size() - pos_ - kFragmentHeaderSize < length) {
      return Fail(pos_, "segment ends inside a fragment", true);
    }
    const std::string_view part = data_.substr(pos_ + kFragmentHeaderSize, length);
    if (compression::crc32c::Value(part) != crc) {
      return Fail(pos_, "fragment checksum mismatch", false);
    }
    const bool starts = type == FragmentType::kFull || type == FragmentType::kFirst;
    const bool continues = type == FragmentType::kMiddle || type == FragmentType::kLast;
    if ((i == 0 && !starts) || (i > 0 && !continues)) {
      return Fail(pos_, absl::StrFormat("unexpected fragment type %d", header), false);
    }
    flags |= header & (kSnappyFlag | kZstdFlag);
    fragments_.append(part);
    pos_ += kFragmentHeaderSize + length;
    if (type == FragmentType::kFull || type == FragmentType::kLast) return Finish(flags);
  }
}

void SegmentReader::ZstdFree::operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }

// Decompresses fragments_ (one or more zstd frames) into decompressed_.
bool SegmentReader::DecompressZstd() {
  if (!zstd_) zstd_.reset(ZSTD_createDCtx());
  if (!zstd_) return Fail(record_offset_, "cannot allocate a zstd decoder", false);
  ZSTD_DCtx_reset(zstd_.get(), ZSTD_reset_session_only);
  ZSTD_inBuffer in{fragments_.data(), fragments_.size(), 0};
  decompressed_.clear();
  for (;;) {
    const size_t old = decompressed_.size();
    const size_t room = std::max(ZSTD_DStreamOutSize(), old);
    decompressed_.resize(old + room);
    ZSTD_outBuffer out{decompressed_.data() + old, room, 0};
    const size_t ret = ZSTD_decompressStream(zstd_.get(), &out, &in);
    decompressed_.resize(old + out.pos);
    if (ZSTD_isError(ret)) {
      return Fail(record_offset_,
                  StrCat("zstd record does not decompress: ", ZSTD_getErrorName(ret)), false);
    }
    if (ret == 0 && in.pos == in.size) return true;  // all frames complete
    if ((in.pos == in.size && out.pos < room) || decompressed_.size() > kMaxZstdRecordBytes) {
      return Fail(record_offset_, "zstd record is truncated or too large", false);
    }
  }
}

bool SegmentReader::Finish(uint8_t flags) {
  if ((flags & kZstdFlag) && (flags & kSnappyFlag)) {
    return Fail(record_offset_, "record flagged as both snappy and zstd", false);
  }
  if (flags & kZstdFlag) {
    if (!DecompressZstd()) return false;
    record_ = decompressed_;
  } else if (flags & kSnappyFlag) {
    size_t n = 0;
    if (!snappy::GetUncompressedLength(fragments_.data(), fragments_.size(), &n) ||
        n > kMaxSnappyRatio * fragments_.size() + 64 ||
        !snappy::Uncompress(fragments_.data(), fragments_.size(), &decompressed_)) {
      return Fail(record_offset_, "snappy record does not decompress", false);
    }
    record_ = decompressed_;
  } else {
    record_ = fragments_;
  }
  end_offset_ = pos_;
  return true;
}

}  // namespace strata::wal
