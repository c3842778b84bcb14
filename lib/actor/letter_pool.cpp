// Per-thread free lists for letters, by size class. A letter freed on another thread than the one that allocated it
// joins that other thread's list; each list is capped, so memory that drifts from senders to a receiver goes back to
// malloc rather than piling up.

#include <bastion/detail/letter.hpp>

#include <array>
#include <cstdlib>
#include <new>

namespace bastion::detail {

namespace {

constexpr std::size_t granule = 32;
constexpr std::size_t classes = 8;  // 32, 64, ..., 256 bytes
constexpr std::size_t cap = 512;    // blocks kept per class and thread

struct FreeBlock {
    FreeBlock* next;
};

class FreeLists {
public:
    FreeLists() = default;
    FreeLists(const FreeLists&) = delete;
    FreeLists& operator=(const FreeLists&) = delete;
    ~FreeLists() {
        for (FreeBlock* head : heads_) {
            while (head != nullptr) std::free(std::exchange(head, head->next));
        }
    }

    void* take(std::size_t cls) noexcept {
        FreeBlock* block = heads_[cls];
        if (block == nullptr) return nullptr;
        heads_[cls] = block->next;
        --counts_[cls];
        return block;
    }

    bool give(std::size_t cls, void* memory) noexcept {
        if (counts_[cls] == cap) return false;
        auto* block = static_cast<FreeBlock*>(memory);
        block->next = heads_[cls];
        heads_[cls] = block;
        ++counts_[cls];
        return true;
    }

private:
    std::array<FreeBlock*, classes> heads_{};
    std::array<std::size_t, classes> counts_{};
};

// Out of line and looked up on every call: a lightproc may move to another thread between two sends.
FreeLists& this_thread_lists() noexcept {
    thread_local FreeLists lists;
    return lists;
}

constexpr std::size_t size_class(std::size_t size) noexcept { return (size + granule - 1) / granule - 1; }

}  // namespace

void* Letter::operator new(std::size_t size) {
    const std::size_t cls = size_class(size);
    if (cls < classes) {
        if (void* block = this_thread_lists().take(cls)) return block;
        size = (cls + 1) * granule;
    }
    if (void* block = std::malloc(size)) return block;
    throw std::bad_alloc{};
}

void Letter::operator delete(void* block, std::size_t size) noexcept {
    const std::size_t cls = size_class(size);
    if (cls < classes && this_thread_lists().give(cls, block)) return;
    std::free(block);
}

}  // namespace bastion::detail
