#include <bastion/result.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

using namespace bastion;

namespace {

Result<int, std::string> parse_digit(char c) {
    if (c < '0' || c > '9') return Err(std::string{"not a digit: "} + c);
    return Ok(c - '0');
}

struct Opaque {};  // no operator<<

// Checks the exception type as well as the message: a Panic is what faults an actor.
template <class F>
std::string panic_text(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const Panic& panic) {
        return panic.what();
    }
    return "no panic";
}

}  // namespace

TEST_SUITE("actor") {
TEST_CASE("Ok and Err convert into any Result whose side is constructible from them") {
    Result<int, std::string> ok = parse_digit('7');
    Result<int, std::string> err = parse_digit('x');
    CHECK(ok.is_ok());
    CHECK_FALSE(ok.is_err());
    CHECK(ok.unwrap() == 7);
    CHECK(err.is_err());
    CHECK(err.unwrap_err() == "not a digit: x");

    Result<std::string, int> from_literal = Ok("text");
    CHECK(from_literal.unwrap() == "text");
}

TEST_CASE("a Result with void sides is Rust's Result<(), ()>") {
    Result<void, void> ok = Ok();
    Result<void, void> err = Err();
    CHECK(ok.is_ok());
    CHECK(err.is_err());
    ok.unwrap();
    err.unwrap_err();
    static_assert(std::is_void_v<decltype(ok.unwrap())>);
    static_assert(std::is_void_v<decltype(std::move(ok).expect("ok"))>);
    CHECK(ok == Ok());
    CHECK_FALSE(ok == err);

    Result<void, std::string> saved = Ok();
    Result<int, void> refused = Err();
    CHECK(saved.err() == std::nullopt);
    CHECK(refused.ok() == std::nullopt);
}

TEST_CASE("unwrap gives a reference from an lvalue and moves the value out of an rvalue") {
    Result<std::string, int> r = Ok(std::string{"value"});
    static_assert(std::is_same_v<decltype(r.unwrap()), std::string&>);
    static_assert(std::is_same_v<decltype(std::as_const(r).unwrap()), const std::string&>);
    static_assert(std::is_same_v<decltype(std::move(r).unwrap()), std::string>);
    r.unwrap() += "!";
    CHECK(r.expect("set") == "value!");
    std::string taken = std::move(r).unwrap();
    CHECK(taken == "value!");
}

TEST_CASE("move-only values go through Ok, Err, unwrap and ok") {
    Result<std::unique_ptr<int>, std::unique_ptr<std::string>> ok = Ok(std::make_unique<int>(42));
    std::unique_ptr<int> value = std::move(ok).unwrap();
    REQUIRE(value != nullptr);
    CHECK(*value == 42);

    Result<std::unique_ptr<int>, std::unique_ptr<std::string>> err = Err(std::make_unique<std::string>("gone"));
    std::optional<std::unique_ptr<std::string>> error = std::move(err).err();
    REQUIRE(error.has_value());
    CHECK(**error == "gone");

    Result<std::unique_ptr<int>, int> again = Ok(std::make_unique<int>(1));
    CHECK(*std::move(again).ok().value() == 1);
}

TEST_CASE("unwrap on an error panics with Rust's message and the printed error") {
    Result<int, std::string> err = Err(std::string{"disk full"});
    CHECK(panic_text([&] { (void)err.unwrap(); }) == "called unwrap() on an Err value: disk full");
    CHECK(panic_text([&] { (void)err.expect("Couldn't save"); }) == "Couldn't save: disk full");

    Result<int, std::error_code> io = Err(std::make_error_code(std::errc::timed_out));
    CHECK(panic_text([&] { (void)io.expect("read"); }).starts_with("read: generic:"));
}

TEST_CASE("an error that cannot be printed leaves the panic message alone") {
    Result<int, Opaque> opaque = Err(Opaque{});
    CHECK(panic_text([&] { (void)opaque.expect("Couldn't send the message."); }) == "Couldn't send the message.");
    Result<int, void> unit = Err();
    CHECK(panic_text([&] { (void)unit.unwrap(); }) == "called unwrap() on an Err value");
}

TEST_CASE("unwrap_err and expect_err panic on an Ok value, printing it") {
    Result<int, std::string> ok = Ok(5);
    CHECK(panic_text([&] { (void)ok.unwrap_err(); }) == "called unwrap_err() on an Ok value: 5");
    CHECK(panic_text([&] { (void)ok.expect_err("should fail"); }) == "should fail: 5");
    Result<void, int> unit = Ok();
    CHECK(panic_text([&] { (void)unit.unwrap_err(); }) == "called unwrap_err() on an Ok value");
}

TEST_CASE("ok, err and unwrap_or pick the side that is there") {
    Result<int, std::string> ok = Ok(3);
    Result<int, std::string> err = Err(std::string{"no"});
    CHECK(ok.ok() == std::optional<int>{3});
    CHECK(ok.err() == std::nullopt);
    CHECK(err.ok() == std::nullopt);
    CHECK(err.err() == std::optional<std::string>{"no"});
    CHECK(ok.unwrap_or(9) == 3);
    CHECK(err.unwrap_or(9) == 9);
    CHECK(Result<std::string, int>{Err(1)}.unwrap_or("fallback") == "fallback");
}

TEST_CASE("Results are equal when the same side holds equal values, and compare with Ok and Err directly") {
    Result<int, int> ok = Ok(1);
    Result<int, int> err = Err(1);
    CHECK(ok == Ok(1));
    CHECK(ok != Ok(2));
    CHECK(ok != err);  // the same value on the other side
    CHECK(err == Err(1));
}
}
