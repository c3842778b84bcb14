#pragma once
/// \file
/// copy: everything a reader gives, written to a writer. Rust: `futures::io::copy`.

#include <bastion/io/buffer.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/timeout.hpp>

#include <array>
#include <cstdint>
#include <utility>

namespace bastion::io {

/// Reads from `reader` until its end and writes everything to `writer` (which may be the same handle: an echo),
/// through one 16 KiB buffer on the caller's stack; returns how many bytes that was. The first error of either side
/// ends it. `timeout` bounds each read and each write. Rust: `futures::io::copy(&mut reader, &mut writer)`.
template <class Reader, class Writer>
Result<std::uint64_t> copy(Reader& reader, Writer& writer, Timeout timeout = no_timeout) {
    std::array<char, 16 * 1024> buffer;
    std::uint64_t copied = 0;
    for (;;) {
        Result<std::size_t> read = reader.read(buffer, timeout);
        if (read.is_err()) return Err(std::move(read).unwrap_err());
        const std::size_t n = read.unwrap();
        if (n == 0) return Ok(copied);
        Result<void> written = writer.write_all(ConstBuffer{buffer.data(), n}, timeout);
        if (written.is_err()) return Err(std::move(written).unwrap_err());
        copied += n;
    }
}

}  // namespace bastion::io
