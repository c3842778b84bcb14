#include <bastion/executor/detail/stack_pool.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>

namespace bastion::executor::detail {

namespace {

constexpr std::size_t page = 4096;
constexpr std::size_t chunk_stacks = 64;     // stacks per mapping
constexpr std::size_t local_high = 256;      // a thread's cache spills above this many free stacks
constexpr std::size_t local_batch = 64;      // ... by this many, and refills this many at a time
constexpr std::size_t max_pools = 16;
// Stack colouring. Were every top at a page boundary, the hot lines of all lightprocs (core, Boost's context, the
// frames of a switch) would share the same few L1 sets, whose ways hundreds of lightprocs taking turns evict on every
// switch. Tops are staggered instead, by multiples of 256 bytes (the core's alignment) within the top page, which
// keeps a parked lightproc's hot lines in that one page. `colour_room` keeps the usable size whole.
constexpr std::size_t colour_step = 256;
constexpr std::size_t colours = 8;
constexpr std::size_t colour_room = page;

std::size_t round_to_page(std::size_t n) { return (n + page - 1) & ~(page - 1); }

// Not in Debian 12's headers. MADV_GUARD_INSTALL (Linux 6.13) makes pages fault like PROT_NONE without splitting the
// mapping, so every stack can have a guard; MADV_POPULATE_WRITE (5.14) faults pages in with one system call, which in
// a VM costs a fifth of a first touch (2.6 against 13 us per page measured here).
constexpr int madv_guard_install = 102;
constexpr int madv_populate_write = 23;

// Whether this kernel installs guard regions: probed once, on a scratch mapping.
bool kernel_installs_guards() {
    static const bool supported = [] {
        void* probe = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (probe == MAP_FAILED) return false;
        const bool ok = madvise(probe, page, madv_guard_install) == 0;
        munmap(probe, 2 * page);
        return ok;
    }();
    return supported;
}

// Faults in [from, to) writable, with one system call where the kernel can.
void prefault(char* from, char* to) {
    if (from == to || madvise(from, static_cast<std::size_t>(to - from), madv_populate_write) == 0) return;
    for (char* p = from; p < to; p += page) *reinterpret_cast<volatile char*>(p) = 0;
}

// Process-wide state of each pool: the global free list and the guard budget.
struct Shared {
    std::mutex mutex;
    void* head = nullptr;
    std::size_t count = 0;
};

std::atomic<std::size_t> guarded_stacks{0};

std::mutex pools_mutex;
std::array<StackPool*, max_pools> pools{};
std::array<Shared, max_pools> shared;

// A thread's free stacks. Trivially destructible, so it stays usable while other thread-locals are destroyed (Boost
// frees fibers' stacks from its own thread-local destructor); the flusher below hands it back and marks it dead.
struct LocalCache {
    void* head[max_pools];
    std::size_t count[max_pools];
    bool dead;
};
thread_local LocalCache local{};

struct LocalFlusher {
    ~LocalFlusher();
};
thread_local LocalFlusher flusher;

void*& next_of(void* top) { return *reinterpret_cast<void**>(static_cast<char*>(top) - sizeof(void*)); }

}  // namespace

StackPool& StackPool::for_size(std::size_t usable_bytes, std::size_t prefault_bytes) {
    const std::size_t usable = round_to_page(usable_bytes < 16 * 1024 ? 16 * 1024 : usable_bytes);
    const std::size_t prefault = round_to_page(prefault_bytes > usable ? usable : prefault_bytes);
    std::lock_guard lock{pools_mutex};
    for (unsigned i = 0; i < max_pools; ++i) {
        if (pools[i] != nullptr && pools[i]->usable_ == usable && pools[i]->prefault_ == prefault) return *pools[i];
    }
    for (unsigned i = 0; i < max_pools; ++i) {
        if (pools[i] == nullptr) {
            pools[i] = new StackPool{usable, prefault, i};  // lives as long as the process: stacks may outlive anyone
            return *pools[i];
        }
    }
    std::fputs("bastion: more than 16 distinct stack sizes in one process\n", stderr);
    std::abort();
}

StackPool::StackPool(std::size_t usable_bytes, std::size_t prefault_bytes, unsigned index)
    : usable_{usable_bytes}, prefault_{prefault_bytes}, index_{index} {}

void StackPool::map_chunk(Free*& head, std::size_t& count) {
    const bool installs = kernel_installs_guards();
    bool guarded = installs;
    if (!installs) {
        guarded = guarded_stacks.fetch_add(chunk_stacks) + chunk_stacks <= guarded_budget;
        if (!guarded) guarded_stacks.fetch_sub(chunk_stacks);
    }
    const std::size_t slot = usable_ + colour_room + (guarded ? page : 0);
    void* base = mmap(nullptr, slot * chunk_stacks, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc{};
    // Touching one page per stack must fault in one 4 KiB page, not zero a 2 MiB transparent huge page.
    madvise(base, slot * chunk_stacks, MADV_NOHUGEPAGE);
    for (std::size_t i = 0; i < chunk_stacks; ++i) {
        char* bottom = static_cast<char*>(base) + i * slot;
        if (guarded) {
            // A failure (an mprotect beyond the map count) leaves the stack unguarded.
            if (!installs || madvise(bottom, page, madv_guard_install) != 0) mprotect(bottom, page, PROT_NONE);
            bottom += page;
        }
        char* end = bottom + usable_ + colour_room;
        prefault(end - prefault_, end);
        // Not i % colours alone: stacks a multiple of 8 apart also share their page's place in a 64 KiB span.
        char* top = end - colour_step * ((i + i / colours) % colours);
        next_of(top) = head;
        head = reinterpret_cast<Free*>(top);
        ++count;
    }
}

void* StackPool::acquire() {
    if (!local.dead && local.head[index_] != nullptr) {
        void* top = local.head[index_];
        local.head[index_] = next_of(top);
        --local.count[index_];
        return top;
    }
    Free* head = nullptr;
    std::size_t count = 0;
    {
        Shared& s = shared[index_];
        std::lock_guard lock{s.mutex};
        while (s.head != nullptr && count < local_batch) {
            void* top = s.head;
            s.head = next_of(top);
            --s.count;
            next_of(top) = head;
            head = reinterpret_cast<Free*>(top);
            ++count;
        }
    }
    if (head == nullptr) map_chunk(head, count);
    static_cast<void>(&flusher);  // registers this thread's cache for flushing at thread exit
    void* top = head;
    head = static_cast<Free*>(next_of(top));
    --count;
    if (local.dead) {
        if (head != nullptr) {
            void* tail = head;
            while (next_of(tail) != nullptr) tail = next_of(tail);
            give_back(head, static_cast<Free*>(tail), count);
        }
    } else {
        while (head != nullptr) {
            void* t = head;
            head = static_cast<Free*>(next_of(t));
            next_of(t) = local.head[index_];
            local.head[index_] = t;
            ++local.count[index_];
        }
    }
    return top;
}

void StackPool::release(void* top) noexcept {
    if (local.dead) {
        next_of(top) = nullptr;
        give_back(static_cast<Free*>(top), static_cast<Free*>(top), 1);
        return;
    }
    next_of(top) = local.head[index_];
    local.head[index_] = top;
    if (++local.count[index_] == 1) static_cast<void>(&flusher);
    if (local.count[index_] <= local_high) return;
    // Spill a batch to the shared list.
    void* head = local.head[index_];
    void* tail = head;
    for (std::size_t i = 1; i < local_batch; ++i) tail = next_of(tail);
    local.head[index_] = next_of(tail);
    local.count[index_] -= local_batch;
    next_of(tail) = nullptr;
    give_back(static_cast<Free*>(head), static_cast<Free*>(tail), local_batch);
}

void StackPool::give_back(Free* head, Free* tail, std::size_t count) noexcept {
    Shared& s = shared[index_];
    std::lock_guard lock{s.mutex};
    next_of(tail) = s.head;
    s.head = head;
    s.count += count;
}

LocalFlusher::~LocalFlusher() {
    for (unsigned i = 0; i < max_pools; ++i) {
        void* head = local.head[i];
        if (head == nullptr) continue;
        void* tail = head;
        while (next_of(tail) != nullptr) tail = next_of(tail);
        Shared& s = shared[i];
        std::lock_guard lock{s.mutex};
        next_of(tail) = s.head;
        s.head = head;
        s.count += local.count[i];
        local.head[i] = nullptr;
        local.count[i] = 0;
    }
    local.dead = true;
}

}  // namespace bastion::executor::detail
