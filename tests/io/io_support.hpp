#pragma once
// What the IO tests share: an executor of their own, a temporary directory, byte patterns, open descriptor counts.

#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include <dirent.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace bastion::test {

inline executor::ExecutorConfig two_workers() {
    executor::ExecutorConfig config;
    config.workers = 2;
    return config;
}

/// `size` bytes that differ from their neighbours, so a misplaced or repeated chunk is caught.
inline std::vector<char> pattern(std::size_t size, unsigned seed = 1) {
    std::vector<char> bytes(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (char& b : bytes) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<char>(x >> 24);
    }
    return bytes;
}

/// A fresh directory under /tmp, removed with everything in it at the end of the scope.
class TempDir {
public:
    TempDir() {
        std::string name = (std::filesystem::temp_directory_path() / "bastion-io-XXXXXX").string();
        path_ = mkdtemp(name.data());
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// How many sockets and files this process has open now. Rings, eventfds and epoll instances (anonymous inodes) are
/// left out: each worker makes its own on first use and keeps it.
inline std::size_t open_descriptors() {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"}) {
        std::error_code ignored;
        const std::string target = std::filesystem::read_symlink(entry.path(), ignored).string();
        if (target.rfind("anon_inode:", 0) != 0) ++count;
    }
    return count;
}

}  // namespace bastion::test
