#include "io/io_support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

using namespace bastion;
using namespace bastion::io;

TEST_SUITE("io") {

TEST_CASE("a file written and read back holds the same bytes, 0 B to 16 MiB, from a lightproc") {
    executor::Executor executor{test::two_workers()};
    test::TempDir dir;
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{65537},
                             std::size_t{16} << 20}) {
        CAPTURE(size);
        const std::vector<char> data = test::pattern(size, static_cast<unsigned>(size));
        auto done = executor.spawn([&] {
            auto file = Handle<File>::create(dir.file("data")).expect("create");
            file.write_all(data).expect("write_all");
            file.sync_all().expect("sync_all");
            CHECK(file.size().unwrap() == size);
            auto back = Handle<File>::open(dir.file("data")).expect("open");
            std::vector<char> read;
            CHECK(back.read_to_end(read).unwrap() == size);
            return read == data;
        });
        CHECK(done.get() == std::optional<bool>{true});
    }
}

TEST_CASE("read_at and write_at leave the file position alone; seek moves it") {
    executor::Executor executor{test::two_workers()};
    test::TempDir dir;
    auto result = executor.spawn([&] {
        auto file = Handle<File>::open_with(dir.file("f"), {.read = true, .write = true, .create = true})
                        .expect("open_with");
        file.write_all(std::string_view{"hello world"}).expect("write");
        CHECK(file.write_at(std::string_view{"W"}, 6).unwrap() == 1);
        std::array<char, 5> five{};
        CHECK(file.read_at(five, 6).unwrap() == 5);
        CHECK(std::string(five.data(), 5) == "World");
        CHECK(file.seek(SeekFrom::current(0)).unwrap() == 11);  // write_at/read_at did not move it
        CHECK(file.seek(SeekFrom::start(0)).unwrap() == 0);
        std::string all;
        file.read_to_string(all).expect("read_to_string");
        CHECK(all == "hello World");
        CHECK(file.seek(SeekFrom::end(-5)).unwrap() == 6);
        return true;
    });
    CHECK(result.get() == std::optional<bool>{true});
}

TEST_CASE("vectored file IO scatters and gathers in order") {
    executor::Executor executor{test::two_workers()};
    test::TempDir dir;
    auto result = executor.spawn([&] {
        auto file = Handle<File>::create(dir.file("v")).expect("create");
        const std::string a = "abc", b = "", c = "defgh";
        const std::array<ConstBuffer, 3> gather{ConstBuffer{a}, ConstBuffer{b}, ConstBuffer{c}};
        CHECK(file.write_vectored(gather).unwrap() == 8);
        auto back = Handle<File>::open(dir.file("v")).expect("open");
        std::array<char, 2> x{};
        std::array<char, 4> y{};
        std::array<char, 8> z{};
        const std::array<MutableBuffer, 3> scatter{MutableBuffer{x}, MutableBuffer{y}, MutableBuffer{z}};
        CHECK(back.read_vectored(scatter).unwrap() == 8);
        CHECK(std::string(x.data(), 2) == "ab");
        CHECK(std::string(y.data(), 4) == "cdef");
        CHECK(std::string(z.data(), 2) == "gh");
        return true;
    });
    CHECK(result.get() == std::optional<bool>{true});
}

TEST_CASE("opening a missing file is an error naming the operation, the path and the errno") {
    executor::Executor executor{test::two_workers()};
    auto result = executor.spawn([] { return Handle<File>::open("/nonexistent/bastion-missing"); });
    auto outcome = result.get();
    REQUIRE(outcome.has_value());
    auto& opened = *outcome;
    REQUIRE(opened.is_err());
    const Error& error = opened.unwrap_err();
    CHECK(error == std::errc::no_such_file_or_directory);
    CHECK(error.operation() == "open");
    CHECK(error.message() == "open on file /nonexistent/bastion-missing: No such file or directory");
}

TEST_CASE("file IO works from a plain thread too") {
    test::TempDir dir;
    auto file = Handle<File>::create(dir.file("plain")).expect("create");
    file.write_all(std::string_view{"from main"}).expect("write");
    std::string back;
    Handle<File>::open(dir.file("plain")).expect("open").read_to_string(back).expect("read");
    CHECK(back == "from main");
}

TEST_CASE("file IO works inside RUN on a plain thread, as a lightproc of that thread") {
    test::TempDir dir;
    const std::string path = dir.file("run");
    const std::size_t written = executor::run([&] {
        auto file = Handle<File>::create(path).expect("create");
        file.write_all(std::string_view{"inside run"}).expect("write");
        return file.size().unwrap();
    });
    CHECK(written == 10);
}

}
