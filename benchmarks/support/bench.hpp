#pragma once
/// \file
/// What every benchmark shares: argv parsing, one fresh process per measured run, medians and spreads, readings from
/// /proc and getrusage, and the floor: a raw Boost.Fiber `work_stealing` pool.
///
/// Every measured run (ours or the floor) runs in a child forked from a parent that has started no threads yet, so
/// each run starts cold (no stacks mapped, no malloc arenas warmed), RSS and CPU time belong to that run alone, and
/// Boost's `work_stealing`, which can be set up only once per process (its barrier and scheduler table are static),
/// gets a process of its own every time. The child hands its figures back through a pipe.

#include "cross_core.hpp"

#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/operations.hpp>

#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bastion::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double to_seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

/// The 1-, 5- and 15-minute load averages, printed at the start of every benchmark.
inline std::string load_average() {
    std::ifstream in{"/proc/loadavg"};
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

/// `--name value` options with defaults, read one by one; `done()` rejects unknown names, answers `--help`, and
/// prints the exact command line and every parameter's value (given or default).
class Args {
public:
    Args(int argc, char** argv, std::string summary) : summary_{std::move(summary)} {
        program_ = argv[0];
        for (int i = 0; i < argc; ++i) {
            if (i > 0) command_ += ' ';
            command_ += quote(argv[i]);
        }
        for (int i = 1; i < argc; ++i) {
            std::string key = argv[i];
            if (key == "--help" || key == "-h") {
                help_ = true;
                continue;
            }
            if (key.rfind("--", 0) != 0 || i + 1 >= argc) fail("expected --name value, got '" + key + "'");
            given_[key.substr(2)] = argv[++i];
        }
    }

    std::int64_t integer(const std::string& name, std::int64_t fallback, const std::string& help) {
        const std::string text = lookup(name, std::to_string(fallback), help);
        char* end = nullptr;
        const long long value = std::strtoll(text.c_str(), &end, 10);
        if (end == text.c_str() || *end != '\0') fail("--" + name + " wants an integer, got '" + text + "'");
        return value;
    }

    double real(const std::string& name, double fallback, const std::string& help) {
        std::ostringstream s;
        s << fallback;
        const std::string text = lookup(name, s.str(), help);
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') fail("--" + name + " wants a number, got '" + text + "'");
        return value;
    }

    std::string text(const std::string& name, const std::string& fallback, const std::string& help,
                     const std::vector<std::string>& choices = {}) {
        std::string all;
        for (const auto& c : choices) all += (all.empty() ? "" : "|") + c;
        std::string value = lookup(name, fallback, choices.empty() ? help : help + ": " + all);
        if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end()) {
            fail("--" + name + " is one of " + all + ", got '" + value + "'");
        }
        return value;
    }

    /// Call after reading every option.
    void done() {
        if (help_) {
            std::cout << summary_ << "\n\nusage: " << program_ << " [--name value]...\n" << usage_;
            std::exit(0);
        }
        for (const auto& [key, value] : given_) {
            if (!read_.count(key)) fail("unknown option --" + key + " (see --help)");
        }
        std::cout << summary_ << "\n";
        std::cout << "command:    " << command_ << "\n";
        std::cout << "parameters:" << parameters_ << "\n";
        std::cout << "pid " << getpid() << ", " << std::thread::hardware_concurrency()
                  << " CPUs online, load average " << load_average() << "\n"
                  << std::flush;
    }

    [[noreturn]] void fail(const std::string& why) const {
        std::cerr << program_ << ": " << why << "\n";
        std::exit(2);
    }

private:
    static std::string quote(const std::string& s) {
        if (!s.empty() && s.find_first_of(" \t'\"$\\") == std::string::npos) return s;
        std::string q = "'";
        for (char c : s) q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
        return q + "'";
    }

    std::string lookup(const std::string& name, const std::string& fallback, const std::string& help) {
        read_[name] = true;
        usage_ += "  --" + name + " (default " + fallback + ")  " + help + "\n";
        auto it = given_.find(name);
        std::string value = it != given_.end() ? it->second : fallback;
        parameters_ += " " + name + "=" + value;
        return value;
    }

    std::string summary_, program_, command_, usage_, parameters_;
    std::map<std::string, std::string> given_;
    std::map<std::string, bool> read_;
    bool help_ = false;
};

// ---------------------------------------------------------------------------------------------------------------
// One process per run

/// Named figures a run hands back, in order.
using Figures = std::vector<std::pair<std::string, double>>;

inline double figure(const Figures& figures, const std::string& name) {
    for (const auto& [n, v] : figures) {
        if (n == name) return v;
    }
    throw std::logic_error("no figure named " + name);
}

/// Busy and steal time of the whole machine so far, in seconds (/proc/stat, all CPUs).
struct MachineTime {
    double busy = 0, steal = 0;
};
inline MachineTime machine_time() {
    std::ifstream in{"/proc/stat"};
    std::string cpu;
    double user, nice, system, idle, iowait, irq, softirq, steal;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    return {(user + nice + system + irq + softirq) / tick, steal / tick};
}

/// Whose code a run measures. A crash of ours fails the benchmark; a floor run that dies of a signal is run again (at
/// most twice, said loudly): Boost 1.74's work_stealing with launch::dispatch crashed in `context::sleep_unlink`
/// 4 times in ~280 small skynet runs with both threads on one CPU (never in 600 runs on two CPUs, nor with
/// launch::post), and a floor that is not ours must not make CI flaky. A wrong result fails the benchmark either way.
enum class Subject { Ours, Floor };

/// Runs `body` in a forked child and returns its figures, followed by two measures of noise over the child's
/// lifetime, in CPUs: `other_cpus`, how busy the rest of the machine was (busy time of all CPUs minus the child's own),
/// and `steal_cpus`, time the hypervisor gave our vCPUs to someone else. Exits the benchmark (status 1) if the child
/// fails: a wrong checksum, an exception, a crash (see Subject). Call only while the calling process has no other
/// threads.
inline Figures isolated(const std::string& what, const std::function<Figures()>& body,
                        Subject subject = Subject::Ours, int attempt = 1) {
    std::cout << std::flush;
    std::cerr << std::flush;
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const MachineTime machine0 = machine_time();
    const auto start = Clock::now();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        close(fds[0]);
        int status = 0;
        std::string out;
        try {
            for (const auto& [name, value] : body()) {
                char line[256];
                std::snprintf(line, sizeof line, "%s %.17g\n", name.c_str(), value);
                out += line;
            }
        } catch (const std::exception& e) {
            std::cerr << what << ": " << e.what() << "\n";
            status = 1;
        }
        for (std::size_t done = 0; done < out.size();) {
            const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        std::cout << std::flush;
        std::cerr << std::flush;
        _exit(status);  // no atexit handlers or thread-local teardown of the parent's copy
    }
    close(fds[1]);
    std::string in;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) in.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    rusage child{};
    wait4(pid, &status, 0, &child);
    const double wall = seconds_since(start);
    const MachineTime machine1 = machine_time();
    if (WIFSIGNALED(status) && subject == Subject::Floor && attempt < 3) {
        std::cout << "\n  (" << what << ": run died of signal " << WTERMSIG(status) << ", "
                  << strsignal(WTERMSIG(status)) << "; a crash inside Boost.Fiber's floor, not ours: running it again)"
                  << "\n"
                  << std::flush;
        return isolated(what, body, subject, attempt + 1);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status)) {
            std::cerr << what << ": run died of signal " << WTERMSIG(status) << " (" << strsignal(WTERMSIG(status))
                      << ")\n";
        } else {
            std::cerr << what << ": run failed (exit status " << WEXITSTATUS(status) << ")\n";
        }
        std::exit(1);
    }
    Figures figures;
    std::istringstream lines{in};
    std::string name;
    double value;
    while (lines >> name >> value) figures.emplace_back(name, value);
    const double own = to_seconds(child.ru_utime) + to_seconds(child.ru_stime);
    figures.emplace_back("other_cpus", std::max(0.0, (machine1.busy - machine0.busy - own) / wall));
    figures.emplace_back("steal_cpus", (machine1.steal - machine0.steal) / wall);
    return figures;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics and reporting

struct Spread {
    double median = 0, min = 0, max = 0;
};

inline Spread spread(std::vector<double> v) {
    if (v.empty()) return {};
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return {median, v.front(), v.back()};
}

/// A number with about four significant digits and no exponent for everyday magnitudes.
inline std::string fmt(double v) {
    char buf[64];
    const double a = std::fabs(v);
    if (a == 0) return "0";
    if (a >= 1e9 || a < 1e-3) {
        std::snprintf(buf, sizeof buf, "%.3g", v);
    } else if (a >= 1000) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else if (a >= 100) {
        std::snprintf(buf, sizeof buf, "%.1f", v);
    } else if (a >= 10) {
        std::snprintf(buf, sizeof buf, "%.2f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.3f", v);
    }
    return buf;
}

inline std::string describe(const std::vector<double>& v, const std::string& unit) {
    const Spread s = spread(v);
    std::string text = fmt(s.median) + " " + unit;
    if (v.size() > 1) {
        text += " (min " + fmt(s.min) + ", max " + fmt(s.max) + ", " + std::to_string(v.size()) + " runs)";
    }
    return text;
}

/// Prints `ours`, then each floor with the ratio of the medians ours/floor and the spread of the per-run ratios (runs
/// are paired: run i of ours and of each floor ran back to back).
inline void compare(const std::string& label, const std::vector<double>& ours,
                    const std::vector<std::pair<std::string, std::vector<double>>>& floors, const std::string& unit) {
    std::cout << "  " << label << "\n";
    std::cout << "    ours: " << describe(ours, unit) << "\n";
    for (const auto& [name, floor] : floors) {
        if (floor.empty()) continue;
        std::cout << "    " << name << ": " << describe(floor, unit) << "\n";
        if (ours.empty()) continue;
        std::vector<double> ratios;
        for (std::size_t i = 0; i < ours.size() && i < floor.size(); ++i) ratios.push_back(ours[i] / floor[i]);
        const Spread r = spread(ratios);
        std::cout << "      ratio ours/" << name << ": " << fmt(spread(ours).median / spread(floor).median);
        if (ratios.size() > 1) std::cout << " (per-run " << fmt(r.min) << " .. " << fmt(r.max) << ")";
        std::cout << "\n";
    }
}

inline void compare(const std::string& label, const std::vector<double>& ours, const std::vector<double>& floor,
                    const std::string& unit) {
    compare(label, ours, {{"floor", floor}}, unit);
}

/// " [others 0.05 CPUs, steal 0.00]": how busy the rest of the machine was during a run (see `isolated`).
inline std::string noise(const Figures& f) {
    return " [others " + fmt(figure(f, "other_cpus")) + ", steal " + fmt(figure(f, "steal_cpus")) + "]";
}

/// Prints one measured figure as a line the peer runner (benchmarks/peers/run.py) reads, the format every peer
/// program prints too: `RESULT workload=skynet impl=bastion value=168.3 unit=ms`. `impl` is `bastion` for ours and
/// `boost_fiber` (or `boost_fiber_keep`, see FloorMalloc) for a floor; call it once per run, as the run ends.
inline void result(std::string_view workload, std::string_view impl, double value, std::string_view unit) {
    std::cout << "RESULT workload=" << workload << " impl=" << impl << " value=" << value << " unit=" << unit
              << std::endl;
}

/// Prints the target and whether the median meets it. Missing a target never fails the benchmark.
inline void verdict(const std::string& target, bool met) {
    std::cout << "    target: " << target << " -> " << (met ? "met" : "MISSED") << "\n";
}

// ---------------------------------------------------------------------------------------------------------------
// Readings

/// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
inline double proc_status_bytes(const std::string& field) {
    std::ifstream status{"/proc/self/status"};
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::strtod(line.c_str() + field.size() + 1, nullptr) * 1024.0;
    }
    throw std::runtime_error("no " + field + " in /proc/self/status");
}

/// Resets VmHWM to the current RSS, so a later VmHWM is the peak of what came in between.
inline void reset_peak_rss() {
    std::ofstream clear{"/proc/self/clear_refs"};
    clear << "5";
}

/// CPU time of the whole process (all threads, user + system), in seconds, and voluntary context switches.
struct CpuTime {
    double seconds;
    double voluntary_switches;
};
inline CpuTime process_cpu() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return {to_seconds(ru.ru_utime) + to_seconds(ru.ru_stime), static_cast<double>(ru.ru_nvcsw)};
}

/// What a first-touch page fault costs on this machine now, in microseconds: maps `mib` MiB (no huge pages), writes
/// one byte per 4 KiB page, unmaps. Run it inside `isolated`. Cold spawns and parked memory pay this per page, and in
/// a VM it varies a lot (2.35 us in one measurement, 14 us in another).
inline double first_touch_us_per_page(std::size_t mib = 64) {
    const std::size_t len = mib << 20;
    void* base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::runtime_error("mmap failed");
    madvise(base, len, MADV_NOHUGEPAGE);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < len; i += 4096) static_cast<volatile char*>(base)[i] = 1;
    const double seconds = seconds_since(start);
    munmap(base, len);
    return seconds * 1e6 / static_cast<double>(len / 4096);
}

/// Prints the page-fault calibration line.
inline void print_page_fault_cost() {
    const Figures f = isolated("page fault calibration", [] { return Figures{{"us", first_touch_us_per_page()}}; });
    std::cout << "machine now: a first-touch page fault costs " << fmt(figure(f, "us")) << " us (64 MiB touched)\n";
}

// ---------------------------------------------------------------------------------------------------------------
// The floor: raw Boost.Fiber work_stealing

/// How the floor's malloc treats freed memory. fixedsize_stack takes each stack from malloc; by default glibc gives
/// freed memory at the top of the heap back to the kernel (M_TRIM_THRESHOLD, 128 KiB), so the next batch of stacks
/// is page-faulted in again, and a first-touch page fault is expensive in a VM. `Keep` turns trimming off and pads
/// the heap (M_TOP_PAD 64 MiB), as a tuned program would: the floor then measures Boost.Fiber, not the kernel.
enum class FloorMalloc { Default, Keep };

inline void configure_malloc(FloorMalloc mode) {
    if (mode != FloorMalloc::Keep) return;
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
    mallopt(M_TOP_PAD, 64 << 20);
}

/// Whether idle `work_stealing` threads sleep (`suspend = true`) or busy-poll (Boost's default).
enum class FloorIdle { Poll, Suspend };

/// A `work_stealing` pool of `threads` threads in which the calling (main) thread is member 0, as in Boost's own
/// skynet examples: code after construction runs on a pool member and its fibers may be stolen by the others.
/// Once per process (Boost's barrier and scheduler table are static): construct it only inside `isolated`.
class FloorPool {
public:
    FloorPool(std::size_t threads, FloorIdle idle) {
        const auto n = static_cast<std::uint32_t>(threads);
        const bool suspend = idle == FloorIdle::Suspend;
        for (std::uint32_t i = 1; i < n; ++i) {
            members_.emplace_back([this, i, n, suspend] {
                pin_current_thread(i);
                // The constructor is a barrier: it returns once every member has called it.
                boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(n, suspend);
                std::unique_lock lock{mutex_};
                done_cv_.wait(lock, [this] { return done_; });  // suspends the main fiber: the scheduler runs
            });
        }
        pin_current_thread(0);
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(n, suspend);
    }

    ~FloorPool() {
        {
            std::lock_guard lock{mutex_};
            done_ = true;
        }
        done_cv_.notify_all();
        for (std::thread& t : members_) t.join();
    }

    FloorPool(const FloorPool&) = delete;
    FloorPool& operator=(const FloorPool&) = delete;

private:
    std::mutex mutex_;
    boost::fibers::condition_variable_any done_cv_;
    bool done_ = false;
    std::vector<std::thread> members_;
};

}  // namespace bastion::bench
