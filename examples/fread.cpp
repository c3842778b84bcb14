// Port of nuclei/examples/fread.rs (v0.1.3).
// Reads a whole file through Handle<File> and prints its length.
// Added: upstream reads examples/data/quark-gluon-plasma from its repository; this port first writes a text of its own
// under that name into a fresh temporary directory (standing in for CARGO_MANIFEST_DIR), removed at the end.
#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include "manifest_dir.hpp"

#include <filesystem>
#include <iostream>
#include <string>

using namespace bastion::io;

int main() {
    const ManifestDir manifest_dir{{"quark-gluon-plasma", repeated(QUARK_GLUON_PLASMA_TEXT, 4)}};

    std::string x = bastion::executor::run([&] {
        std::filesystem::path path = manifest_dir.path;
        path /= "data";
        path /= "quark-gluon-plasma";

        // Rust: `File::open(&path).unwrap()` then `Handle::<File>::new(fo).unwrap()`.
        Handle<File> file = Handle<File>::open(path).unwrap();
        std::string buffer;
        file.read_to_string(buffer).unwrap();
        return buffer;
    });

    // std::cout << "Content: " << x << '\n';
    std::cout << "Length of file is " << x.size() << '\n';

    return 0;
}
