#pragma once
// What the file examples stand on instead of upstream's repository: a fresh directory (standing in for
// CARGO_MANIFEST_DIR) holding data/<name> files, removed with its content at the end of the scope.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

/// Upstream's data/quark-gluon-plasma is a text of its own; this is ours, written four times over.
inline constexpr std::string_view QUARK_GLUON_PLASMA_TEXT =
    "Quark-gluon plasma is the state nuclear matter is thought to reach when it is\n"
    "heated or squeezed so far that protons and neutrons stop being separate\n"
    "particles: their quarks, and the gluons that bind them, roam the whole volume\n"
    "instead of staying locked inside single hadrons.\n"
    "\n"
    "Colliders make tiny drops of it by smashing heavy nuclei into each other at\n"
    "nearly the speed of light. A drop lives for a vanishingly short time before it\n"
    "cools, and the particles flying out of it are all the detectors ever see; from\n"
    "their numbers, energies and directions, physicists work back to how the drop\n"
    "flowed and how hot it became.\n"
    "\n"
    "Those studies found that the plasma behaves less like a gas than like a liquid\n"
    "with almost no viscosity, one of the most perfect fluids ever measured.\n"
    "\n";

struct ManifestDir {
    std::filesystem::path path;

    /// Makes data/<name> for each `{name, content}` (empty content: an empty file).
    explicit ManifestDir(std::initializer_list<std::pair<const char*, std::string>> files) {
        std::string name = (std::filesystem::temp_directory_path() / "bastion-example-XXXXXX").string();
        if (mkdtemp(name.data()) == nullptr) throw std::runtime_error{"mkdtemp failed"};
        path = name;
        std::filesystem::create_directory(path / "data");
        for (const auto& [file, content] : files) {
            std::ofstream out{path / "data" / file, std::ios::binary};
            if (!(out << content).flush()) throw std::runtime_error{"could not write data/" + std::string{file}};
        }
    }
    ManifestDir(const ManifestDir&) = delete;
    ManifestDir& operator=(const ManifestDir&) = delete;
    ~ManifestDir() { std::filesystem::remove_all(path); }
};

/// `text` `times` times over.
inline std::string repeated(std::string_view text, int times) {
    std::string all;
    for (int i = 0; i < times; ++i) all += text;
    return all;
}
