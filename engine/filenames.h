// Every file and directory name in a Strata (= Prometheus TSDB) data
// directory, in one place (DESIGN.md §2; VictoriaMetrics' filenames.go).
//
//   data/
//     lock                 held while a process has the directory open
//     wal/                 write-ahead log segments 00000000, 00000001, ...
//     chunks_head/         memory-mapped head chunks 000001, 000002, ...
//     <ULID>/              a block
//       meta.json
//       index
//       chunks/000001 ...
//       tombstones
#ifndef STRATA_ENGINE_FILENAMES_H_
#define STRATA_ENGINE_FILENAMES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::engine {

inline constexpr std::string_view kLockFile = "lock";
inline constexpr std::string_view kWalDir = "wal";
inline constexpr std::string_view kHeadChunksDir = "chunks_head";
inline constexpr std::string_view kBlockMetaFile = "meta.json";
inline constexpr std::string_view kBlockIndexFile = "index";
inline constexpr std::string_view kBlockChunksDir = "chunks";
inline constexpr std::string_view kBlockTombstonesFile = "tombstones";
// Suffix of a block or file being written; removed at start-up.
inline constexpr std::string_view kTmpSuffix = ".tmp";
// Suffix of a block directory being written, renamed to `<ULID>` when
// complete (Prometheus' tsdb tmpForCreationBlockDirSuffix).
inline constexpr std::string_view kTmpForCreationSuffix = ".tmp-for-creation";
// Suffix a block directory is renamed to before it is removed, so a crash
// never leaves half a block under its real name (Prometheus'
// tmpForDeletionBlockDirSuffix). Both are removed at start-up.
inline constexpr std::string_view kTmpForDeletionSuffix = ".tmp-for-deletion";

// "dir/name".
std::string JoinPath(std::string_view dir, std::string_view name);

// Chunk segment files are numbered from 1 with six digits: "000001".
std::string ChunkSegmentName(uint32_t number);
// Parses a chunk segment file name; false if `name` is not one.
bool ParseChunkSegmentName(std::string_view name, uint32_t* number);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_FILENAMES_H_
