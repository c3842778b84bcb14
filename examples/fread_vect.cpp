// Port of nuclei/examples/fread-vect.rs (v0.1.3).
// A scatter read (read_vectored) of a file into three 1 KiB buffers, printed one by one.
// Added: upstream reads examples/data/quark-gluon-plasma from its repository; this port first writes a text of its own
// under that name into a fresh temporary directory (standing in for CARGO_MANIFEST_DIR), removed at the end.
#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include "manifest_dir.hpp"

#include <array>
#include <cstddef>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

using namespace bastion::io;

namespace {

constexpr std::size_t IOVEC_WIDTH = 1 << 10;

}  // namespace

int main() {
    const ManifestDir manifest_dir{{"quark-gluon-plasma", repeated(QUARK_GLUON_PLASMA_TEXT, 4)}};

    std::vector<std::array<char, IOVEC_WIDTH>> x = bastion::executor::run([&] {
        std::filesystem::path path = manifest_dir.path;
        path /= "data";
        path /= "quark-gluon-plasma";

        std::array<char, IOVEC_WIDTH> buf1{};
        std::array<char, IOVEC_WIDTH> buf2{};
        std::array<char, IOVEC_WIDTH> buf3{};
        const std::array<MutableBuffer, 3> bufs{
            MutableBuffer{buf1},
            MutableBuffer{buf2},
            MutableBuffer{buf3},
        };

        // Rust: `File::open(&path).unwrap()` then `Handle::<File>::new(fo).unwrap()`.
        Handle<File> file = Handle<File>::open(path).unwrap();
        file.read_vectored(bufs).unwrap();

        return std::vector{buf1, buf2, buf3};
    });

    // The text is ASCII, so printing the bytes as they are is what Rust's `String::from_utf8_lossy` prints.
    for (std::size_t idx = 0; idx < x.size(); ++idx) {
        const auto& e = x[idx];
        std::cout << "::: iovec ::: " << idx << ", data ::: \n\n" << std::string{e.data(), e.size()} << "\n\n" << '\n';
    }

    return 0;
}
