// file_read: sequential read throughput of a file in the page cache, in 64 KiB and 1 MiB chunks.
//
// The parent writes a temporary file (`mib` MiB under $TMPDIR or /tmp) and reads it once, so it sits in the page
// cache; every run then reads it `passes` times from the start, chunk after chunk, until read returns 0.
// Ours: one lightproc on an executor reading through Handle<File>::read (at the file position) into one buffer, once
// with BASTION_IO=uring (each chunk an IORING_OP_READ on the worker's ring) and once with BASTION_IO=epoll (a
// regular file is read directly by the worker: read(2)). Floor: read(2) in a loop on a plain thread (the child's main
// thread). Each run sums one byte per 4 KiB page read, checked against the file's.

#include "support/bench.hpp"

#include <bastion/io.hpp>
#include <bastion/prelude.hpp>

#include <fcntl.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace {

using namespace bastion::bench;
namespace io = bastion::io;

constexpr std::size_t page = 4096;

struct Params {
    std::string path;
    std::size_t bytes, chunk, passes, workers;
};

// Adds the byte at every page boundary of the file among the `n` bytes of `data` read at file offset `at`.
void add_pages(std::uint64_t& sum, const char* data, std::uint64_t at, std::size_t n) {
    for (std::uint64_t o = (at + page - 1) / page * page; o < at + n; o += page) {
        sum += static_cast<unsigned char>(data[o - at]);
    }
}

Figures result(const Params& p, double seconds, double cpu, std::uint64_t read, std::uint64_t sum,
               std::uint64_t chunks) {
    if (read != p.bytes * p.passes) throw std::runtime_error("read " + std::to_string(read) + " bytes");
    return {{"mib_per_s", static_cast<double>(read) / (1 << 20) / seconds},
            {"cpu_mib_per_s", static_cast<double>(read) / (1 << 20) / cpu},
            {"us_per_chunk", seconds * 1e6 / static_cast<double>(chunks)},
            {"sum", static_cast<double>(sum)}};
}

Figures run_ours(const Params& p, const std::string& backend) {
    setenv("BASTION_IO", backend.c_str(), 1);
    const io::Backend wanted = backend == "uring" ? io::Backend::IoUring : io::Backend::Epoll;
    if (io::backend() != wanted) throw std::runtime_error("backend " + backend + " is not available here");
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    auto reader = ex.spawn([&p] {
        auto file = io::Handle<io::File>::open(p.path).expect("open");
        std::vector<char> buffer(p.chunk);
        auto pass = [&](std::uint64_t& read, std::uint64_t& sum, std::uint64_t& chunks) {
            file.seek(io::SeekFrom::start(0)).expect("seek");
            for (std::uint64_t at = 0;;) {
                const std::size_t n = file.read(buffer).expect("read");
                if (n == 0) break;
                add_pages(sum, buffer.data(), at, n);
                at += n;
                read += n;
                ++chunks;
            }
        };
        std::uint64_t read = 0, sum = 0, chunks = 0;
        pass(read, sum, chunks);  // warm-up: the ring, the buffer's pages
        read = sum = chunks = 0;
        const CpuTime cpu0 = process_cpu();
        const auto start = Clock::now();
        for (std::size_t i = 0; i < p.passes; ++i) pass(read, sum, chunks);
        const double seconds = seconds_since(start);
        return result(p, seconds, process_cpu().seconds - cpu0.seconds, read, sum, chunks);
    });
    auto figures = reader.get();
    if (!figures) throw std::runtime_error("the reading lightproc failed");
    return *figures;
}

Figures run_floor(const Params& p) {
    const int fd = open(p.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open failed");
    std::vector<char> buffer(p.chunk);
    auto pass = [&](std::uint64_t& read, std::uint64_t& sum, std::uint64_t& chunks) {
        lseek(fd, 0, SEEK_SET);
        for (std::uint64_t at = 0;;) {
            const ssize_t n = ::read(fd, buffer.data(), buffer.size());
            if (n < 0) throw std::runtime_error("read failed");
            if (n == 0) break;
            add_pages(sum, buffer.data(), at, static_cast<std::size_t>(n));
            at += static_cast<std::uint64_t>(n);
            read += static_cast<std::uint64_t>(n);
            ++chunks;
        }
    };
    std::uint64_t read = 0, sum = 0, chunks = 0;
    pass(read, sum, chunks);
    read = sum = chunks = 0;
    const CpuTime cpu0 = process_cpu();
    const auto start = Clock::now();
    for (std::size_t i = 0; i < p.passes; ++i) pass(read, sum, chunks);
    const double seconds = seconds_since(start);
    const double cpu = process_cpu().seconds - cpu0.seconds;
    close(fd);
    return result(p, seconds, cpu, read, sum, chunks);
}

// Writes the file (bytes that differ from page to page) and reads it once; returns its page-byte sum.
std::uint64_t make_file(const std::string& path, std::size_t bytes) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path);
    std::vector<char> block(1 << 20);
    std::uint32_t x = 12345;
    std::uint64_t sum = 0;
    for (std::size_t done = 0; done < bytes;) {
        for (char& b : block) {
            x = x * 1664525u + 1013904223u;
            b = static_cast<char>(x >> 24);
        }
        const std::size_t n = std::min(block.size(), bytes - done);
        add_pages(sum, block.data(), done, n);
        if (write(fd, block.data(), n) != static_cast<ssize_t>(n)) throw std::runtime_error("write failed");
        done += n;
    }
    close(fd);
    const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (read(in, block.data(), block.size()) > 0) {
    }
    close(in);
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "file_read: reading a page-cached file through Handle<File> vs read(2) on a thread"};
    Params p{};
    p.bytes = static_cast<std::size_t>(args.integer("mib", 64, "file size in MiB")) << 20;
    p.passes = static_cast<std::size_t>(args.integer("passes", 8, "timed passes over the file per run"));
    const std::string chunks = args.text("chunk", "both", "bytes per read", {"64k", "1m", "both"});
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers"));
    const auto runs = args.integer("runs", 3, "runs of each (all three alternate, each in a fresh process)");
    args.done();
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = (std::filesystem::path{tmp != nullptr ? tmp : "/tmp"} / "bastion-file-read-XXXXXX").string();
    const int fd = mkstemp(templ.data());
    if (fd < 0) args.fail("cannot create a temporary file in " + templ);
    close(fd);
    p.path = templ;
    const std::uint64_t expected = make_file(p.path, p.bytes) * p.passes;
    std::cout << "file: " << p.path << ", " << (p.bytes >> 20) << " MiB, read once before the runs (page cache)\n"
              << "ours: one lightproc, Handle<File>::read into one buffer, BASTION_IO=uring or epoll\n"
              << "floor: read(2) in a loop on a plain thread\n\n";
    std::vector<std::pair<std::string, std::size_t>> sizes;
    if (chunks != "1m") sizes.emplace_back("64 KiB", std::size_t{64} << 10);
    if (chunks != "64k") sizes.emplace_back("1 MiB", std::size_t{1} << 20);
    std::map<std::pair<std::string, std::string>, std::vector<double>> mibs, cpu_mibs;
    int status = 0;
    for (std::int64_t run = 1; run <= runs && status == 0; ++run) {
        for (const auto& [label, chunk] : sizes) {
            Params q = p;
            q.chunk = chunk;
            for (const std::string s : {"uring", "epoll", "read(2)"}) {
                const Figures f = s == "read(2)" ? isolated("file_read floor", [&] { return run_floor(q); },
                                                            Subject::Floor)
                                                 : isolated("file_read ours " + s, [&] { return run_ours(q, s); });
                if (static_cast<std::uint64_t>(figure(f, "sum")) != expected) {
                    std::cerr << "file_read " << s << ": wrong bytes read (page sum)\n";
                    status = 1;
                }
                mibs[{label, s}].push_back(figure(f, "mib_per_s"));
                cpu_mibs[{label, s}].push_back(figure(f, "cpu_mib_per_s"));
                std::cout << "run " << run << " chunk " << label << " " << (s == "read(2)" ? "floor " : "ours ") << s
                          << ": " << fmt(figure(f, "mib_per_s")) << " MiB/s, " << fmt(figure(f, "us_per_chunk"))
                          << " us per read, " << fmt(figure(f, "cpu_mib_per_s")) << " MiB per CPU second"
                          << noise(f) << std::endl;
            }
        }
    }
    std::filesystem::remove(p.path);
    if (status != 0) return status;
    std::cout << "\nresults (median of runs), MiB/s (higher is better):\n";
    for (const auto& [label, chunk] : sizes) {
        compare("chunk " + label + ", ours = io_uring backend", mibs[{label, "uring"}],
                {{"read(2)", mibs[{label, "read(2)"}]}}, "MiB/s");
        compare("chunk " + label + ", ours = epoll backend", mibs[{label, "epoll"}],
                {{"read(2)", mibs[{label, "read(2)"}]}}, "MiB/s");
        compare("chunk " + label + ", MiB per CPU second (all threads), ours = io_uring backend",
                cpu_mibs[{label, "uring"}],
                {{"epoll", cpu_mibs[{label, "epoll"}]}, {"read(2)", cpu_mibs[{label, "read(2)"}]}}, "MiB/s");
    }
    return 0;
}
