// Port of nuclei/examples/fwrite-vect.rs (v0.1.3).
// A gather write (write_vectored) of three 1 KiB buffers (A..., B..., C...) to a file, read back and checked.
// Added: upstream writes to examples/data/dark-matter-vect, an empty file of its repository (which it must find: it
// opens without creating); this port makes that empty file in a fresh temporary directory (standing in for
// CARGO_MANIFEST_DIR), removed at the end.
#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include "manifest_dir.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace bastion::io;

namespace {

constexpr std::size_t IOVEC_WIDTH = 1 << 10;

// Rust's `assert!`: a failed check panics; here it throws, `run` rethrows it, and the program dies of it.
void assert_true(bool condition, const char* what) {
    if (!condition) throw std::logic_error{std::string{"assertion failed: "} + what};
}

}  // namespace

int main() {
    const ManifestDir manifest_dir{{"dark-matter-vect", ""}};

    std::string x = bastion::executor::run([&] {
        std::filesystem::path path = manifest_dir.path;
        path /= "data";
        path /= "dark-matter-vect";

        std::array<char, IOVEC_WIDTH> buf1;
        buf1.fill(0x41);
        std::array<char, IOVEC_WIDTH> buf2;
        buf2.fill(0x42);
        std::array<char, IOVEC_WIDTH> buf3;
        buf3.fill(0x43);
        const std::array<ConstBuffer, 3> bufs{
            ConstBuffer{buf1},
            ConstBuffer{buf2},
            ConstBuffer{buf3},
        };

        // Rust: `OpenOptions::new().read(true).write(true).open(&path).unwrap()` then `Handle::<File>::new(fo)`.
        Handle<File> file = Handle<File>::open_with(path, OpenOptions{.read = true, .write = true}).unwrap();
        file.write_vectored(bufs).unwrap();

        std::string bufv;
        assert_true(file.seek(SeekFrom::start(0)).is_ok(), "file.seek(SeekFrom::start(0)).is_ok()");
        file.read_to_string(bufv).unwrap();
        return bufv;
    });

    assert_true(std::ranges::count(x, 'A') == std::ptrdiff_t{IOVEC_WIDTH}, "x.matches('A').count() == IOVEC_WIDTH");
    assert_true(std::ranges::count(x, 'B') == std::ptrdiff_t{IOVEC_WIDTH}, "x.matches('B').count() == IOVEC_WIDTH");
    assert_true(std::ranges::count(x, 'C') == std::ptrdiff_t{IOVEC_WIDTH}, "x.matches('C').count() == IOVEC_WIDTH");

    std::cout << "SG write was: " << x << '\n';

    return 0;
}
