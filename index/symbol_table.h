// SymbolTable: string interning for the head index.
//
// Every distinct label name and value is stored once, in an append-only
// arena, and named by a dense uint32 id. Series then hold pairs of ids, so a
// million series of the same metrics cost little more than their
// references (8 bytes per label). Ids are assigned in insertion order and
// never change; strings are never removed (the head is rebuilt on
// truncation, like Prometheus' MemPostings symbols).
//
// Thread-safety: not thread-safe; the owner (MemIndex) serialises writers
// against readers. Views returned by Get() stay valid for the table's life,
// even while other strings are added.
#ifndef STRATA_INDEX_SYMBOL_TABLE_H_
#define STRATA_INDEX_SYMBOL_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace strata::index {

class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Returns the id of `s`, copying it into the table if it is new.
  uint32_t Intern(std::string_view s);
  // The id of `s` if it was interned.
  std::optional<uint32_t> Find(std::string_view s) const;
  // The string with id `id`. REQUIRES: id < size().
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }
  // Heap bytes held: arena blocks, the id vector and the hash map.
  size_t MemoryBytes() const;

 private:
  // Arena block size; strings longer than a quarter block get their own.
  static constexpr size_t kBlockSize = 64 * 1024;
  std::string_view Store(std::string_view s);

  std::vector<std::unique_ptr<char[]>> blocks_;  // kBlockSize each
  std::vector<std::unique_ptr<char[]>> large_;   // one string each
  size_t block_used_ = kBlockSize;               // bytes used in blocks_.back()
  size_t arena_bytes_ = 0;
  std::vector<std::string_view> strings_;                 // id -> string
  absl::flat_hash_map<absl::string_view, uint32_t> ids_;  // string -> id
};

}  // namespace strata::index

#endif  // STRATA_INDEX_SYMBOL_TABLE_H_
