#include "engine/chunk_writer.h"

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "engine/filenames.h"

namespace strata::engine {
namespace {

// Prometheus sizes a chunk for batching with the longest length field it
// allows (binary.MaxVarintLen32), whatever the actual varint takes.
constexpr uint64_t kMaxChunkLengthFieldSize = 5;

uint64_t BatchSize(const ChunkData& c) {
  return kMaxChunkLengthFieldSize + 1 + c.data.size() + kChunkChecksumSize;
}

}  // namespace

ChunkWriter::ChunkWriter(Env& env, std::string dir, uint64_t segment_size)
    : env_(env), dir_(std::move(dir)), segment_size_(segment_size) {}

ChunkWriter::~ChunkWriter() = default;

StatusOr<std::unique_ptr<ChunkWriter>> ChunkWriter::Create(Env& env, std::string dir,
                                                           uint64_t segment_size) {
  STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
  return std::unique_ptr<ChunkWriter>(new ChunkWriter(env, std::move(dir), segment_size));
}

Status ChunkWriter::FinishSegment() {
  if (file_ == nullptr) return absl::OkStatus();
  STRATA_RETURN_IF_ERROR(file_->Sync());
  STRATA_RETURN_IF_ERROR(file_->Close());
  file_.reset();
  return absl::OkStatus();
}

Status ChunkWriter::Cut() {
  if (file_ != nullptr) {
    STRATA_RETURN_IF_ERROR(FinishSegment());
    ++sequence_;
  }
  const std::string path = JoinPath(dir_, ChunkSegmentName(sequence_ + 1));
  STRATA_ASSIGN_OR_RETURN(file_, env_.NewWritableFile(path));
  std::string header;
  compression::PutBE32(&header, kChunkSegmentMagic);
  header.push_back(static_cast<char>(kChunkSegmentVersion));
  header.append(3, '\0');
  STRATA_RETURN_IF_ERROR(file_->Append(header));
  offset_ = kChunkSegmentHeaderSize;
  bytes_written_ += header.size();
  return absl::OkStatus();
}

Status ChunkWriter::WriteChunks(std::span<const ChunkData> chunks, std::vector<uint64_t>* refs) {
  refs->resize(chunks.size());
  // Split into batches that each fit one segment (Prometheus' WriteChunks):
  // a new batch starts when adding the chunk would overflow the segment,
  // accounting for what the current segment already holds at first.
  std::vector<size_t> batch_starts = {0};
  uint64_t batch_size = 0;
  bool first_batch = true;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].data.size() > UINT32_MAX) {
      return absl::InvalidArgumentError(
          StrCat("chunk of ", chunks[i].data.size(), " bytes is larger than 4 GiB"));
    }
    const uint64_t size = BatchSize(chunks[i]);
    batch_size += size;
    bool cut = i != 0 && batch_size + kChunkSegmentHeaderSize > segment_size_;
    if (first_batch && offset_ > kChunkSegmentHeaderSize) {
      cut = batch_size + offset_ > segment_size_;
      if (cut) first_batch = false;
    }
    if (cut) {
      batch_starts.push_back(i);
      batch_size = size;
    }
  }
  if (file_ == nullptr) STRATA_RETURN_IF_ERROR(Cut());
  for (size_t b = 0; b < batch_starts.size(); ++b) {
    if (b > 0) STRATA_RETURN_IF_ERROR(Cut());
    const size_t end = b + 1 < batch_starts.size() ? batch_starts[b + 1] : chunks.size();
    for (size_t i = batch_starts[b]; i < end; ++i) {
      const ChunkData& c = chunks[i];
      if (offset_ > UINT32_MAX) {
        return absl::InvalidArgumentError(
            StrCat("chunk segment ", ChunkSegmentName(sequence_ + 1), " passed 4 GiB"));
      }
      (*refs)[i] = ChunkRef::Pack(sequence_, static_cast<uint32_t>(offset_));
      buf_.clear();
      compression::PutUvarint(&buf_, c.data.size());
      const size_t crc_from = buf_.size();
      buf_.push_back(static_cast<char>(c.encoding));
      buf_.append(c.data);
      compression::PutBE32(&buf_,
                           compression::crc32c::Value(std::string_view(buf_).substr(crc_from)));
      STRATA_RETURN_IF_ERROR(file_->Append(buf_));
      offset_ += buf_.size();
      bytes_written_ += buf_.size();
    }
  }
  return absl::OkStatus();
}

Status ChunkWriter::Finish() {
  STRATA_RETURN_IF_ERROR(FinishSegment());
  return env_.SyncDir(dir_);
}

}  // namespace strata::engine
