// CRC-32C (Castagnoli), the checksum of every Prometheus chunk, index
// section, WAL fragment and remote-read frame (Go's
// crc32.MakeTable(crc32.Castagnoli)). Uses the SSE4.2 crc32 instruction
// when the CPU has it, and a slicing-by-8 table otherwise; both give the
// same values (checked against RFC 3720's vectors in tests).
//
// Thread-safety: stateless.
#ifndef STRATA_COMPRESSION_CRC32C_H_
#define STRATA_COMPRESSION_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::compression::crc32c {

// Returns the CRC-32C of concat(A, data) where `crc` is the CRC-32C of A.
uint32_t Extend(uint32_t crc, const void* data, size_t n);

// Returns the CRC-32C of `data`.
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// The implementations, exposed so tests can check both on any CPU.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
// REQUIRES: HardwareAvailable().
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n);
bool HardwareAvailable();

}  // namespace strata::compression::crc32c

#endif  // STRATA_COMPRESSION_CRC32C_H_
