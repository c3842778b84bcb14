#pragma once
/// \file
/// Why an actor failed, as its restart callbacks see it (beyond upstream, issue #87).

#include <cassert>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace bastion {

/// Why an actor failed: it threw (Rust: it panicked), or its exec returned an error.
///
/// Restart callbacks receive it, so they can log or count the cause; upstream's callbacks see nothing (issue #87).
/// A default-constructed Failure means "no failure" (`is_failure()` false), for callbacks run outside a restart.
class Failure {
public:
    /// No failure.
    Failure() = default;

    /// The actor threw `error`, which must not be null.
    static Failure from_exception(std::exception_ptr error) noexcept {
        assert(error && "Failure::from_exception needs the exception the actor threw, not a null exception_ptr");
        return Failure{Kind::Threw, std::move(error)};
    }

    /// The actor's exec returned an error (Rust: `Err(())`); there is no exception.
    static Failure returned_error() noexcept { return Failure{Kind::ReturnedError, nullptr}; }

    /// False for a default-constructed Failure.
    bool is_failure() const noexcept { return kind_ != Kind::None; }

    /// Whether the actor threw; `exception()` then holds what it threw.
    bool threw() const noexcept { return kind_ == Kind::Threw; }

    /// What the actor threw; null unless `threw()`.
    const std::exception_ptr& exception() const noexcept { return error_; }

    /// One line for logs: `panicked: <what()>`, `panicked: unknown exception`, `returned an error`, or `no failure`.
    std::string describe() const {
        switch (kind_) {
        case Kind::None: return "no failure";
        case Kind::ReturnedError: return "returned an error";
        case Kind::Threw: break;
        }
        try {
            std::rethrow_exception(error_);
        } catch (const std::exception& e) {
            return std::string{"panicked: "} + e.what();
        } catch (...) {
            return "panicked: unknown exception";
        }
    }

private:
    enum class Kind : std::uint8_t { None, Threw, ReturnedError };

    Failure(Kind kind, std::exception_ptr error) noexcept : kind_{kind}, error_{std::move(error)} {}

    Kind kind_ = Kind::None;
    std::exception_ptr error_;
};

}  // namespace bastion
