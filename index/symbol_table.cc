#include "index/symbol_table.h"

#include <cstring>

#include "base/strings.h"

namespace strata::index {

std::string_view SymbolTable::Store(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > kBlockSize / 4) {
    large_.push_back(std::make_unique<char[]>(s.size()));
    std::memcpy(large_.back().get(), s.data(), s.size());
    arena_bytes_ += s.size();
    return std::string_view(large_.back().get(), s.size());
  }
  if (block_used_ + s.size() > kBlockSize) {
    blocks_.push_back(std::make_unique<char[]>(kBlockSize));
    arena_bytes_ += kBlockSize;
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  std::memcpy(p, s.data(), s.size());
  block_used_ += s.size();
  return std::string_view(p, s.size());
}

uint32_t SymbolTable::Intern(std::string_view s) {
  if (auto it = ids_.find(ToAbsl(s)); it != ids_.end()) return it->second;
  const std::string_view stored = Store(s);
  const auto id = static_cast<uint32_t>(strings_.size());
  strings_.push_back(stored);
  ids_.emplace(ToAbsl(stored), id);
  return id;
}

std::optional<uint32_t> SymbolTable::Find(std::string_view s) const {
  if (auto it = ids_.find(ToAbsl(s)); it != ids_.end()) return it->second;
  return std::nullopt;
}

size_t SymbolTable::MemoryBytes() const {
  return arena_bytes_ + strings_.capacity() * sizeof(std::string_view) +
         ids_.capacity() * (sizeof(absl::string_view) + sizeof(uint32_t) + 1);
}

}  // namespace strata::index
