// Constants of the Prometheus TSDB v2 index file, as specified by
// prometheus/prometheus tsdb/docs/format/index.md (the format Prometheus
// 2.42 writes and reads). Every number that appears on disk is defined here
// and nowhere else; index_writer.cc and index_reader.cc share them.
//
// Thread-safety: constants only.
#ifndef STRATA_INDEX_FORMAT_H_
#define STRATA_INDEX_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::index::format {

// Header: magic(0xBAAAD700) <4b> | version <1b>  (index.md, top diagram).
inline constexpr uint32_t kMagic = 0xBAAAD700;
inline constexpr uint8_t kVersion2 = 2;
inline constexpr size_t kHeaderSize = 5;

// Series entries start at multiples of 16 bytes; a series ref is its
// offset / 16 (index.md "Series").
inline constexpr uint64_t kSeriesAlignment = 16;

// Label index and postings lists begin at a 4-byte boundary (Prometheus'
// writer pads with zeros; index.md allows padding between sections).
inline constexpr uint64_t kListAlignment = 4;

// Every section ends with a CRC32 (Castagnoli) of its `len` bytes.
inline constexpr size_t kCrcSize = 4;

// Table of contents at the very end: six 8-byte section offsets and a CRC32
// (index.md "TOC"). An offset of zero means "section absent".
inline constexpr size_t kTocEntries = 6;
inline constexpr size_t kTocSize = kTocEntries * 8 + kCrcSize;
// Positions of the section offsets in the TOC, in file order.
enum TocEntry : size_t {
  kTocSymbols = 0,
  kTocSeries = 1,
  kTocLabelIndices = 2,
  kTocLabelOffsetTable = 3,
  kTocPostings = 4,
  kTocPostingsOffsetTable = 5,
};

// Label offset table entries carry n = 1 name; postings offset table
// entries carry n = 2 strings (name, value).
inline constexpr uint8_t kLabelOffsetKeyCount = 1;
inline constexpr uint8_t kPostingsOffsetKeyCount = 2;

// The postings list of all series is stored under the empty name and value
// (Prometheus index.AllPostingsKey()).
inline constexpr std::string_view kAllPostingsName = "";
inline constexpr std::string_view kAllPostingsValue = "";

// Section names used in error messages ("index postings at offset 128: ...").
inline constexpr std::string_view kSectionHeader = "index header";
inline constexpr std::string_view kSectionToc = "index TOC";
inline constexpr std::string_view kSectionSymbols = "index symbol table";
inline constexpr std::string_view kSectionSeries = "index series";
inline constexpr std::string_view kSectionLabelIndex = "index label index";
inline constexpr std::string_view kSectionLabelOffsets = "index label offset table";
inline constexpr std::string_view kSectionPostings = "index postings";
inline constexpr std::string_view kSectionPostingsOffsets = "index postings offset table";

}  // namespace strata::index::format

#endif  // STRATA_INDEX_FORMAT_H_
