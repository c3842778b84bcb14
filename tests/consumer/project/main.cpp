// A downstream program: the prelude, one lightproc, its value back through the handle.
#include <bastion/prelude.hpp>

#include <cstdio>
#include <optional>

int main() {
    auto handle = SPAWN([] { return 40 + 2; });
    std::optional<int> value = RUN(handle);
    if (!value) {
        std::puts("consumer: the lightproc gave no value");
        return 1;
    }
    std::printf("consumer: %d\n", *value);
    return *value == 42 ? 0 : 1;
}
