#include <bastion/prelude.hpp>

#include "support/wait.hpp"

#include <boost/fiber/buffered_channel.hpp>
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <set>
#include <thread>
#include <optional>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;

namespace {

ExecutorConfig workers(std::size_t n) {
    ExecutorConfig config;
    config.workers = n;
    return config;
}

// A real system call each time: the compiler may cache pthread_self() (and so std::this_thread::get_id()) across
// a fiber's suspension, which would hide the migration this test looks for.
long gettid_now() { return syscall(SYS_gettid); }

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

TEST_SUITE("executor") {
TEST_CASE("one million lightprocs are spawned and joined, in batches, with the right sum") {
    Executor ex{workers(2)};
    auto total = ex.spawn([&ex] {
        long long sum = 0;
        std::vector<RecoverableHandle<long long>> batch;
        batch.reserve(10'000);
        for (long long base = 0; base < 1'000'000; base += 10'000) {
            for (long long i = base; i < base + 10'000; ++i) batch.push_back(ex.spawn([i] { return i; }));
            for (auto& h : batch) sum += *h.get();
            batch.clear();
        }
        return sum;
    });
    CHECK(*total.get() == 499'999'500'000LL);
    CHECK(ex.stats().spawned == 1'000'001);
}

TEST_CASE("lightprocs that migrate between workers compute the right results") {
    Executor ex{workers(2)};
    // Migration: P starts on this worker, yields, and a hog then holds the worker, so the idle worker steals the
    // half-done P and it finishes there. The idle worker may steal the hog before P yields instead (then nothing
    // moves): try again, a few times at most.
    struct Outcome {
        bool moved;
        long sum;
    };
    auto attempt = [&] {
        return ex.spawn([&] {
            const long first = gettid_now();
            std::atomic<bool> done{false};
            auto hog = ex.spawn([&] {
                const auto deadline = std::chrono::steady_clock::now() + 10s;
                while (!done.load() && std::chrono::steady_clock::now() < deadline) {
                }
            });
            long sum = 0;
            for (int i = 1; i <= 100; ++i) {
                sum += i;
                this_proc::yield_now();
            }
            const bool moved = gettid_now() != first;
            done = true;
            hog.get();
            return Outcome{moved, sum};
        });
    };
    bool moved = false;
    for (int tries = 0; tries < 20 && !moved; ++tries) {
        const Outcome outcome = *attempt().get();
        CHECK(outcome.sum == 5050);
        moved = outcome.moved;
    }
    CHECK(moved);
    CHECK(ex.stats().steals > 0);

    // Many lightprocs yielding while both workers steal from each other still get their own answers.
    auto root = ex.spawn([&] {
        std::vector<RecoverableHandle<long>> handles;
        for (int k = 0; k < 200; ++k) {
            handles.push_back(ex.spawn([k] {
                long sum = 0;
                for (int i = 1; i <= 200; ++i) {
                    sum += static_cast<long>(i) * k;
                    this_proc::yield_now();
                }
                return sum;
            }));
        }
        bool right = true;
        for (int k = 0; k < 200; ++k) right = right && *handles[k].get() == 20'100L * k;
        return right;
    });
    CHECK(*root.get());
}

TEST_CASE("a ready lightproc stuck behind a long-running one is picked up by an idle worker") {
    Executor ex{workers(2)};
    std::atomic<bool> ran{false};
    auto hog = ex.spawn([&] {
        // The hand-off slot of this worker now holds the helper; only a thief can run it while we hog the core.
        auto helper = ex.spawn([&] { ran = true; });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!ran.load() && std::chrono::steady_clock::now() < deadline) {
        }
        return ran.load();
    });
    CHECK(*hog.get());
}

TEST_CASE("a ping-ponging pair on one worker does not starve the rest of its queue") {
    Executor ex{workers(1)};
    std::atomic<bool> other_ran{false};
    std::atomic<bool> stop{false};
    auto driver = ex.spawn([&] {
        boost::fibers::buffered_channel<int> ping{2}, pong{2};
        auto a = ex.spawn([&] {
            int v = 0;
            while (!stop.load()) {
                ping.push(v);
                pong.pop(v);
            }
            ping.close();
        });
        auto b = ex.spawn([&] {
            int v = 0;
            while (ping.pop(v) == boost::fibers::channel_op_status::success) pong.push(v + 1);
        });
        auto other = ex.spawn([&] { other_ran = true; });
        // The pair hands off to each other forever; only the fairness pick lets `other` run.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!other_ran.load() && std::chrono::steady_clock::now() < deadline) this_proc::yield_now();
        stop = true;
        pong.close();
        a.get();
        b.get();
        return other_ran.load();
    });
    CHECK(*driver.get());
}

TEST_CASE("idle workers use less than 1% of a core") {
    Executor ex{workers(2)};
    CHECK(*ex.spawn([] { return 1; }).get() == 1);
    std::this_thread::sleep_for(100ms);  // let the workers settle into their park
    const double before = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(2s);  // the measurement window itself
    const double cpu = process_cpu_seconds() - before;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("cpu seconds " << cpu << " over " << wall << " s");
    CHECK(cpu / wall < 0.01);
}

TEST_CASE("shutdown with lightprocs still blocked ends cleanly and resolves their handles as cancelled") {
    auto ex = std::make_unique<Executor>(workers(2));
    std::vector<RecoverableHandle<int>> sleepers;
    for (int i = 0; i < 100; ++i) {
        sleepers.push_back(ex->spawn([] {
            this_proc::sleep_for(1h);
            return 1;
        }));
    }
    auto never = ex->spawn([] {
        this_proc::sleep_for(1h);
        return 2;
    });
    // Shutdown cancels both: the joiner's wait throws, unless `never` ended first and woke it with an empty result.
    auto joiner = ex->spawn([&never] { return never.get().value_or(-1); });
    auto blocking = ex->blocking([] {
        this_proc::sleep_for(1h);
        return 3;
    });
    bastion::test::wait_until("all lightprocs to start", [&] { return ex->stats().live == 103; });
    auto done = std::async(std::launch::async, [&] { ex.reset(); });
    REQUIRE(done.wait_for(20s) == std::future_status::ready);
    for (auto& h : sleepers) CHECK(h.state().is_cancelled());
    CHECK(never.state().is_cancelled());
    CHECK(blocking.state().is_cancelled());
    if (joiner.state().is_cancelled()) {
        CHECK_FALSE(joiner.get().has_value());
    } else {
        CHECK(joiner.get() == std::optional<int>{-1});
    }
}

TEST_CASE("lightprocs spawned from many plain threads at once all run") {
    Executor ex{workers(2)};
    std::atomic<long> sum{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            std::vector<RecoverableHandle<int>> hs;
            for (int i = 0; i < 5000; ++i) hs.push_back(ex.spawn([i] { return i; }));
            for (auto& h : hs) sum += *h.get();
        });
    }
    for (auto& t : threads) t.join();
    CHECK(sum.load() == 4L * (4999L * 5000L / 2));
}

TEST_CASE("two executors in one process are independent, and a one-worker executor works") {
    Executor one{workers(1)};
    Executor two{workers(2)};
    CHECK(one.workers() == 1);
    CHECK(two.workers() == 2);
    auto a = one.spawn([&] { return Executor::current() == &one; });
    auto b = two.spawn([&] { return Executor::current() == &two; });
    CHECK(*a.get());
    CHECK(*b.get());
    CHECK(Executor::current() == nullptr);
}

TEST_CASE("BASTION_WORKERS and BASTION_STACK_SIZE configure an executor; explicit values win") {
    setenv("BASTION_WORKERS", "3", 1);
    setenv("BASTION_STACK_SIZE", "128k", 1);
    const ExecutorConfig from_env = ExecutorConfig{}.resolved();
    unsetenv("BASTION_WORKERS");
    unsetenv("BASTION_STACK_SIZE");
    CHECK(from_env.workers == 3);
    CHECK(from_env.stack_size == 128 * 1024);
    CHECK(workers(1).resolved().workers == 1);
}

TEST_CASE("yield_now lets every other ready lightproc of the worker run first") {
    Executor ex{workers(1)};
    std::vector<int> order;
    auto root = ex.spawn([&] {
        auto a = ex.spawn([&] {
            order.push_back(1);
            this_proc::yield_now();
            order.push_back(3);
        });
        auto b = ex.spawn([&] {
            order.push_back(2);
            this_proc::yield_now();
            order.push_back(4);
        });
        a.get();
        b.get();
    });
    root.get();
    REQUIRE(order.size() == 4);
    CHECK(std::set<int>{order[0], order[1]} == std::set<int>{1, 2});
    CHECK(std::set<int>{order[2], order[3]} == std::set<int>{3, 4});
}
}

TEST_SUITE("executor") {
// Also pins a fixed bug: the run queue asked Boost's intrusive list for its size(), which is O(n), so a long queue
// made every push and pop linear and this test took minutes.
TEST_CASE("100k live lightprocs at once fit in a few thousand memory mappings") {
    auto count_mappings = [] {
        std::FILE* maps = std::fopen("/proc/self/maps", "r");
        int lines = 0;
        for (int c; (c = std::fgetc(maps)) != EOF;) lines += c == '\n';
        std::fclose(maps);
        return lines;
    };
    const int before = count_mappings();
    Executor ex{workers(2)};
    std::vector<RecoverableHandle<int>> parked;
    parked.reserve(100'000);
    for (int i = 0; i < 100'000; ++i) {
        parked.push_back(ex.spawn([i] {
            this_proc::sleep_for(1h);
            return i;
        }));
    }
    bastion::test::wait_until("100k lightprocs to be live", [&] { return ex.stats().live == 100'000; }, 60s);
    const int during = count_mappings();
    INFO("mappings before " << before << ", with 100k live lightprocs " << during);
    // One mapping per 64 stacks, plus (on kernels without guard regions) two per stack for the first 8192 stacks.
    CHECK(during - before < 20'000);
    ex.shutdown();
    CHECK(parked.back().state().is_cancelled());
}
}

TEST_CASE("spawn_on binds a lightproc to its worker: it starts, wakes and stays there, from any spawner") {
    Executor ex{workers(2)};
    // Each worker's thread, as a bound lightproc sees it; index 3 is worker 1 (modulo the worker count).
    const long on0 = *ex.spawn_on(0, [] { return gettid_now(); }).get();
    const long on1 = *ex.spawn_on(3, [] { return gettid_now(); }).get();
    CHECK(on0 != on1);

    // Bound from a plain thread (the worker's inbox), from the other worker, and from the same worker; each yields,
    // sleeps and waits on a channel many times while unbound work keeps both workers busy.
    auto threads_seen = [&ex] {
        return [&ex] {
            boost::fibers::buffered_channel<int> ticks{2};
            auto ticker = ex.spawn([&] {
                for (int i = 0; i < 200; ++i) {
                    ticks.push(i);
                    this_proc::yield_now();
                }
                ticks.close();
            });
            std::set<long> threads;
            int got = 0;
            for (int i = 0; i < 200; ++i) {
                this_proc::yield_now();
                if (i % 50 == 0) this_proc::sleep_for(100us);
                if (ticks.pop(got) == boost::fibers::channel_op_status::success) threads.insert(gettid_now());
                threads.insert(gettid_now());
            }
            ticker.get();
            return threads;
        };
    };
    std::vector<RecoverableHandle<long>> noise;
    for (int i = 0; i < 64; ++i) {
        noise.push_back(ex.spawn([] {
            long sum = 0;
            for (int k = 0; k < 100; ++k) {
                sum += k;
                this_proc::yield_now();
            }
            return sum;
        }));
    }
    auto from_thread = ex.spawn_on(1, threads_seen());
    auto from_other = ex.spawn_on(0, [&] { return *ex.spawn_on(1, threads_seen()).get(); });
    auto from_same = ex.spawn_on(0, [&] { return *ex.spawn_on(0, threads_seen()).get(); });
    CHECK(*from_thread.get() == std::set<long>{on1});
    CHECK(*from_other.get() == std::set<long>{on1});
    CHECK(*from_same.get() == std::set<long>{on0});
    for (auto& h : noise) CHECK(*h.get() == 4950);
}

TEST_CASE("a bound lightproc is never stolen: behind a long-running one it waits, where an unbound one moves") {
    Executor ex{workers(2)};
    // The hog holds worker 0 for 30 ms (or until the probe ran); an idle worker 1 would steal an unbound probe within
    // a few milliseconds, and must not touch a bound one.
    auto hog_with_probe = [&ex](bool bind) {
        return ex.spawn_on(0, [&ex, bind] {
            std::atomic<bool> ran{false};
            auto probe = bind ? ex.spawn_on(0, [&] { ran = true; }) : ex.spawn([&] { ran = true; });
            const auto until = std::chrono::steady_clock::now() + 30ms;
            while (!ran.load() && std::chrono::steady_clock::now() < until) {
            }
            const bool ran_meanwhile = ran.load();
            probe.get();
            return ran_meanwhile && ran.load() ? 1 : ran.load() ? 0 : -1;
        });
    };
    CHECK(*hog_with_probe(false).get() == 1);  // stolen and run while the hog held its worker
    CHECK(*hog_with_probe(true).get() == 0);   // waited for the hog, then ran on its own worker
}

TEST_CASE("bound and unbound lightprocs on one worker do not starve each other") {
    Executor ex{workers(1)};
    std::atomic<bool> stop{false};
    std::atomic<int> unbound_ran{0}, bound_ran{0};
    // A bound pair ping-pongs through the hand-off slot; the fairness pick must still run queued work of both kinds.
    auto driver = ex.spawn_on(0, [&] {
        boost::fibers::buffered_channel<int> ping{2}, pong{2};
        auto a = ex.spawn_on(0, [&] {
            int v = 0;
            while (!stop.load()) {
                ping.push(v);
                pong.pop(v);
            }
            ping.close();
        });
        auto b = ex.spawn_on(0, [&] {
            int v = 0;
            while (ping.pop(v) == boost::fibers::channel_op_status::success) pong.push(v + 1);
        });
        auto u = ex.spawn([&] { ++unbound_ran; });
        auto c = ex.spawn_on(0, [&] { ++bound_ran; });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while ((unbound_ran.load() == 0 || bound_ran.load() == 0) && std::chrono::steady_clock::now() < deadline) {
            this_proc::yield_now();
        }
        stop = true;
        pong.close();
        a.get();
        b.get();
        return unbound_ran.load() == 1 && bound_ran.load() == 1;
    });
    CHECK(*driver.get());
}
