// Port of nuclei/examples/fwrite.rs (v0.1.3).
// Writes some 70 MB to a file through Handle<File>, seeks back, reads it all again and checks it.
// Added: upstream writes to examples/data/dark-matter, an empty file of its repository (which it must find: it opens
// without creating); this port makes that empty file in a fresh temporary directory (standing in for
// CARGO_MANIFEST_DIR), removed at the end. The text is our own, about as long as upstream's.
#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include "manifest_dir.hpp"

#include <cstddef>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace bastion::io;

namespace {

constexpr std::string_view DARK_MATTER_TEXT =
    "Dark matter is the name for the mass that astronomers infer but cannot see. "
    "Galaxies spin faster at their edges than their visible stars and gas can "
    "explain, clusters of galaxies bend the light behind them more strongly than "
    "their luminous content allows, and the pattern of the cosmic microwave "
    "background needs extra matter that neither emits nor absorbs light. Taken "
    "together, these observations suggest that roughly five sixths of all matter "
    "is of this unseen kind. What it is made of remains open: candidates range "
    "from unknown heavy particles to very light fields, and decades of searches "
    "in underground detectors, at colliders and in the sky have so far only "
    "narrowed down where it cannot hide.";

// Rust's `assert!`: a failed check panics; here it throws, `run` rethrows it, and the program dies of it.
void assert_true(bool condition, const char* what) {
    if (!condition) throw std::logic_error{std::string{"assertion failed: "} + what};
}

}  // namespace

int main() {
    const ManifestDir manifest_dir{{"dark-matter", ""}};

    // Approximately ~70,2 MB (upstream's text makes ~75,9 MB)
    std::string dark_matter;
    dark_matter.reserve(100'000 * (DARK_MATTER_TEXT.size() + 1));
    for (std::size_t i = 0; i < 100'000; ++i) {
        if (i != 0) dark_matter += '\n';
        dark_matter += DARK_MATTER_TEXT;
    }

    std::vector<char> x = bastion::executor::run([&] {
        std::filesystem::path path = manifest_dir.path;
        path /= "data";
        path /= "dark-matter";

        // Rust: `OpenOptions::new().read(true).write(true).open(&path).unwrap()` then `Handle::<File>::new(fo)`.
        Handle<File> file = Handle<File>::open_with(path, OpenOptions{.read = true, .write = true}).unwrap();
        file.write_all(dark_matter).unwrap();

        std::vector<char> buf;
        assert_true(file.seek(SeekFrom::start(0)).is_ok(), "file.seek(SeekFrom::start(0)).is_ok()");
        assert_true(file.read_to_end(buf).unwrap() == dark_matter.size(),
                    "file.read_to_end(buf).unwrap() == dark_matter.size()");
        assert_true(std::string_view{buf.data(), dark_matter.size()} == dark_matter,
                    "buf[0..dark_matter.size()] == dark_matter");
        return buf;
    });

    std::cout << "Length of file is " << x.size() << '\n';

    return 0;
}
