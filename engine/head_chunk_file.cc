#include "engine/head_chunk_file.h"

#include <algorithm>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/chunk_encoding.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "engine/filenames.h"

namespace strata::engine {
StatusOr<std::vector<uint32_t>> ListHeadChunkFiles(Env& env, const std::string& dir) {
  std::vector<uint32_t> numbers;
  if (!env.IsDirectory(dir)) return numbers;
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env.GetChildren(dir));
  for (const std::string& name : names) {
    uint32_t n;
    if (ParseChunkSegmentName(name, &n)) numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

Status CheckHeadChunkFileHeader(std::string_view data, std::string_view path) {
  if (data.size() < kHeadChunkHeaderSize || compression::LoadBE32(data.data()) != kHeadChunkMagic) {
    return absl::DataLossError(StrCat(path, " offset 0: not a head chunk file"));
  }
  if (data[4] != kHeadChunkVersion) {
    return absl::DataLossError(
        StrCat(path, " offset 4: unknown head chunk file version ", static_cast<int>(data[4])));
  }
  return absl::OkStatus();
}

void EncodeHeadChunk(std::string* dst, uint64_t series_ref, int64_t min_time_ms,
                     int64_t max_time_ms, compression::ChunkEncoding encoding,
                     std::string_view data) {
  const size_t start = dst->size();
  compression::PutBE64(dst, series_ref);
  compression::PutBE64(dst, static_cast<uint64_t>(min_time_ms));
  compression::PutBE64(dst, static_cast<uint64_t>(max_time_ms));
  dst->push_back(static_cast<char>(encoding));
  compression::PutUvarint(dst, data.size());
  dst->append(data);
  compression::PutBE32(dst, compression::crc32c::Value(std::string_view(*dst).substr(start)));
}

StatusOr<size_t> DecodeHeadChunk(std::string_view rest, HeadChunk* out) {
  const std::string_view meta = rest.substr(0, kHeadChunkMetaSize);
  if (meta.find_first_not_of('\0') == std::string_view::npos) return 0;  // padding
  if (rest.size() < kHeadChunkMetaSize) return absl::DataLossError("truncated chunk header");
  const auto* p = reinterpret_cast<const uint8_t*>(rest.data());
  const auto* end = p + rest.size();
  uint64_t len;
  size_t n;
  if (compression::DecodeUvarint(p + kHeadChunkMetaSize, end, &len, &n) !=
      compression::VarintStatus::kOk) {
    return absl::DataLossError("bad chunk length");
  }
  const uint64_t body = kHeadChunkMetaSize + n;
  if (len > rest.size() - body || rest.size() - body - len < kChunkChecksumSize) {
    return absl::DataLossError(StrCat("chunk of ", len, " bytes runs past the end of the file"));
  }
  const uint32_t want = compression::LoadBE32(p + body + len);
  if (compression::crc32c::Value(p, body + len) != want) {
    return absl::DataLossError("chunk checksum mismatch");
  }
  // A byte Prometheus defines no encoding for is damage wherever the chunk
  // is read (replay, a read by reference, the offline tools), so that what
  // replay keeps always reads back.
  if (!compression::IsKnownChunkEncoding(static_cast<compression::ChunkEncoding>(p[24]))) {
    return absl::DataLossError(StrCat("unknown chunk encoding ", static_cast<int>(p[24])));
  }
  out->series_ref = compression::LoadBE64(p);
  out->min_time_ms = static_cast<int64_t>(compression::LoadBE64(p + 8));
  out->max_time_ms = static_cast<int64_t>(compression::LoadBE64(p + 16));
  out->chunk = {static_cast<compression::ChunkEncoding>(p[24]),
                rest.substr(body, static_cast<size_t>(len))};
  return static_cast<size_t>(body + len + kChunkChecksumSize);
}

HeadChunkWriter::HeadChunkWriter(Env& env, std::string dir, uint64_t max_file_size,
                                 uint32_t next_number)
    : env_(env), dir_(std::move(dir)), max_file_size_(max_file_size), number_(next_number - 1) {}

HeadChunkWriter::~HeadChunkWriter() {
  if (file_ != nullptr) Close().IgnoreError();  // Errors are for explicit Close().
}

StatusOr<std::unique_ptr<HeadChunkWriter>> HeadChunkWriter::Open(Env& env, std::string dir,
                                                                 uint64_t max_file_size) {
  STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> existing, ListHeadChunkFiles(env, dir));
  const uint32_t next = existing.empty() ? 1 : existing.back() + 1;
  return std::unique_ptr<HeadChunkWriter>(
      new HeadChunkWriter(env, std::move(dir), max_file_size, next));
}

Status HeadChunkWriter::Cut() {
  STRATA_RETURN_IF_ERROR(Close());
  ++number_;
  STRATA_ASSIGN_OR_RETURN(file_, env_.NewWritableFile(JoinPath(dir_, ChunkSegmentName(number_))));
  offset_ = 0;
  std::string header;
  compression::PutBE32(&header, kHeadChunkMagic);
  header.push_back(static_cast<char>(kHeadChunkVersion));
  header.append(3, '\0');
  if (Status s = file_->Append(header); !s.ok()) {
    broken_ = true;
    return s;
  }
  offset_ = header.size();
  // The new file's name must survive a crash for its chunks' refs to.
  return env_.SyncDir(dir_);
}

StatusOr<uint64_t> HeadChunkWriter::Write(uint64_t series_ref, int64_t min_time_ms,
                                          int64_t max_time_ms, compression::ChunkEncoding encoding,
                                          std::string_view data) {
  buf_.clear();
  EncodeHeadChunk(&buf_, series_ref, min_time_ms, max_time_ms, encoding, data);
  return WriteEncoded(buf_);
}

StatusOr<uint64_t> HeadChunkWriter::WriteEncoded(std::string_view chunk) {
  if (broken_) STRATA_RETURN_IF_ERROR(Repair());
  if (file_ == nullptr || offset_ + chunk.size() > max_file_size_) STRATA_RETURN_IF_ERROR(Cut());
  if (offset_ > UINT32_MAX) {
    return absl::ResourceExhaustedError(
        StrCat("head chunk file ", ChunkSegmentName(number_), " passed 4 GiB"));
  }
  const uint64_t ref = ChunkRef::Pack(number_, static_cast<uint32_t>(offset_));
  if (Status s = file_->Append(chunk); !s.ok()) {
    broken_ = true;
    return s;
  }
  offset_ += chunk.size();
  return ref;
}

Status HeadChunkWriter::Repair() {
  // The append already failed; what the close flushes is cut off below.
  if (file_ != nullptr) file_->Close().IgnoreError();
  file_.reset();
  const std::string path = JoinPath(dir_, ChunkSegmentName(number_));
  if (offset_ < kHeadChunkHeaderSize) {
    // Not even the header made it: drop the file and reuse its number, so
    // the numbering stays without gaps. The next Write cuts it anew.
    STRATA_RETURN_IF_ERROR(env_.RemoveFile(path));
    --number_;
  } else {
    // Go on appending to the same file, after its last whole chunk.
    STRATA_RETURN_IF_ERROR(env_.Truncate(path, offset_));
    STRATA_ASSIGN_OR_RETURN(file_, env_.NewAppendableFile(path));
  }
  broken_ = false;
  return absl::OkStatus();
}

Status HeadChunkWriter::Flush() { return file_ == nullptr ? absl::OkStatus() : file_->Flush(); }

Status HeadChunkWriter::Close() {
  if (broken_) STRATA_RETURN_IF_ERROR(Repair());
  if (file_ == nullptr) return absl::OkStatus();
  Status s = file_->Close();
  file_.reset();
  return s;
}

StatusOr<std::unique_ptr<HeadChunkReader>> HeadChunkReader::Open(Env& env, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> numbers, ListHeadChunkFiles(env, dir));
  std::vector<File> files;
  for (uint32_t n : numbers) {
    File f{n, JoinPath(dir, ChunkSegmentName(n)), nullptr};
    STRATA_ASSIGN_OR_RETURN(f.map, env.MapFile(f.path));
    STRATA_RETURN_IF_ERROR(CheckHeadChunkFileHeader(f.map->data(), f.path));
    files.push_back(std::move(f));
  }
  return std::unique_ptr<HeadChunkReader>(new HeadChunkReader(std::move(files)));
}

StatusOr<bool> HeadChunkReader::ChunkAt(const File& file, uint64_t offset, HeadChunk* out,
                                        uint64_t* next) const {
  const std::string_view data = file.map->data();
  auto damaged = [&](std::string_view what) {
    return absl::DataLossError(StrCat(file.path, " offset ", offset, ": ", what));
  };
  if (offset < kHeadChunkHeaderSize || offset > data.size()) {
    return damaged("chunk reference outside the file");
  }
  auto size = DecodeHeadChunk(data.substr(offset), out);
  if (!size.ok()) return damaged(FromAbsl(size.status().message()));
  if (*size == 0) return false;  // padding
  out->ref = ChunkRef::Pack(file.number, static_cast<uint32_t>(offset));
  *next = offset + *size;
  return true;
}

StatusOr<HeadChunk> HeadChunkReader::Chunk(uint64_t ref) const {
  const uint32_t number = ChunkRef::Sequence(ref);
  auto it = std::lower_bound(files_.begin(), files_.end(), number,
                             [](const File& f, uint32_t n) { return f.number < n; });
  if (it == files_.end() || it->number != number) {
    return absl::DataLossError(
        StrCat("head chunk reference to missing file ", ChunkSegmentName(number)));
  }
  HeadChunk chunk;
  uint64_t next;
  STRATA_ASSIGN_OR_RETURN(const bool found, ChunkAt(*it, ChunkRef::Offset(ref), &chunk, &next));
  if (!found) {
    return absl::DataLossError(StrCat(it->path, " offset ", ChunkRef::Offset(ref),
                                      ": chunk reference into the file's zero padding"));
  }
  return chunk;
}

Status HeadChunkReader::ForEach(const std::function<void(const HeadChunk&)>& fn) const {
  for (const File& f : files_) {
    for (uint64_t offset = kHeadChunkHeaderSize; offset < f.map->data().size();) {
      HeadChunk chunk;
      uint64_t next;
      STRATA_ASSIGN_OR_RETURN(const bool found, ChunkAt(f, offset, &chunk, &next));
      if (!found) break;
      fn(chunk);
      offset = next;
    }
  }
  return absl::OkStatus();
}

std::vector<uint32_t> HeadChunkReader::files() const {
  std::vector<uint32_t> out;
  for (const File& f : files_) out.push_back(f.number);
  return out;
}

}  // namespace strata::engine
