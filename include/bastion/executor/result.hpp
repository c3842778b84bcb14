#pragma once
/// \file
/// Rust's `Result<T, E>`, vocabulary of every layer: `return Ok(v);`, `return Err(e);`, `.expect("msg")`, `.unwrap()`.

#include <bastion/executor/unit.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace bastion {

/// What a failed `unwrap()` or `expect()` throws: Rust's panic. Thrown inside an actor, it faults the actor and
/// its supervisor decides what happens next.
class Panic : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

template <class V>
struct OkValue {
    V value;
};
template <>
struct OkValue<void> {};

template <class V>
struct ErrValue {
    V value;
};
template <>
struct ErrValue<void> {};

// What a Result stores for `T`: `T` itself, or Unit (Rust's `()`) for `void`.
using executor::Unit;
using executor::detail::Stored;

template <class T>
using Ref = std::add_lvalue_reference_t<T>;  // void stays void
template <class T>
using ConstRef = std::conditional_t<std::is_void_v<T>, void, std::add_lvalue_reference_t<const T>>;

template <class V>
concept Streamable = requires(std::ostream& os, const V& v) { os << v; };

// Rust prints `<msg>: <Debug of the value>`; a value we cannot print is left out rather than refused.
template <class V>
std::string panic_message(std::string_view msg, const V& value) {
    if constexpr (Streamable<V>) {
        std::ostringstream text;
        text << msg << ": " << value;
        return std::move(text).str();
    } else {
        return std::string{msg};
    }
}

}  // namespace detail

/// The success of a Result; converts to any `Result<T, E>` whose `T` is constructible from `V`. Rust: `Ok(v)`.
template <class V>
detail::OkValue<std::decay_t<V>> Ok(V&& value) {
    return {std::forward<V>(value)};
}
/// The success of a `Result<void, E>`. Rust: `Ok(())`.
inline detail::OkValue<void> Ok() { return {}; }

/// The failure of a Result; converts to any `Result<T, E>` whose `E` is constructible from `V`. Rust: `Err(e)`.
template <class V>
detail::ErrValue<std::decay_t<V>> Err(V&& value) {
    return {std::forward<V>(value)};
}
/// The failure of a `Result<T, void>`. Rust: `Err(())`.
inline detail::ErrValue<void> Err() { return {}; }

/// Either a `T` (ok) or an `E` (error); either may be `void`. Rust: `Result<T, E>`.
///
/// Accessors that expect the other alternative throw `Panic`. From an lvalue they return a reference; from an
/// rvalue (`ctx.ask(...).expect("...")`) they move the value out.
template <class T, class E>
class [[nodiscard]] Result {
    static constexpr std::size_t ok_index = 0;
    static constexpr std::size_t err_index = 1;

public:
    /// The success type `T` (may be `void`).
    using value_type = T;
    /// The error type `E` (may be `void`).
    using error_type = E;

    ///@{
    /// From `Ok(v)`, `Ok()`, `Err(e)` or `Err()`; implicit, so `return Ok(v);` reads as in Rust.
    template <class V>
        requires std::constructible_from<T, V>
    Result(detail::OkValue<V> ok) : storage_{std::in_place_index<ok_index>, std::move(ok.value)} {}
    Result(detail::OkValue<void>)
        requires std::is_void_v<T>
        : storage_{std::in_place_index<ok_index>} {}

    template <class V>
        requires std::constructible_from<E, V>
    Result(detail::ErrValue<V> err) : storage_{std::in_place_index<err_index>, std::move(err.value)} {}
    Result(detail::ErrValue<void>)
        requires std::is_void_v<E>
        : storage_{std::in_place_index<err_index>} {}
    ///@}

    /// Whether this holds a `T`. Rust: `Result::is_ok`.
    bool is_ok() const noexcept { return storage_.index() == ok_index; }
    /// Whether this holds an `E`. Rust: `Result::is_err`.
    bool is_err() const noexcept { return storage_.index() == err_index; }

    ///@{
    /// The value; throws `Panic` ("called unwrap() on an Err value: <error>") if this is an error.
    detail::Ref<T> unwrap() & { return expect(unwrap_message); }
    detail::ConstRef<T> unwrap() const& { return expect(unwrap_message); }
    T unwrap() && { return std::move(*this).expect(unwrap_message); }
    ///@}

    ///@{
    /// The value; throws `Panic` ("<msg>: <error>") if this is an error.
    detail::Ref<T> expect(std::string_view msg) & { return get<ok_index>(*this, msg); }
    detail::ConstRef<T> expect(std::string_view msg) const& { return get<ok_index>(*this, msg); }
    T expect(std::string_view msg) && { return get<ok_index>(std::move(*this), msg); }
    ///@}

    ///@{
    /// The error; throws `Panic` ("called unwrap_err() on an Ok value: <value>") if this is ok.
    detail::Ref<E> unwrap_err() & { return expect_err(unwrap_err_message); }
    detail::ConstRef<E> unwrap_err() const& { return expect_err(unwrap_err_message); }
    E unwrap_err() && { return std::move(*this).expect_err(unwrap_err_message); }
    ///@}

    ///@{
    /// The error; throws `Panic` ("<msg>: <value>") if this is ok.
    detail::Ref<E> expect_err(std::string_view msg) & { return get<err_index>(*this, msg); }
    detail::ConstRef<E> expect_err(std::string_view msg) const& { return get<err_index>(*this, msg); }
    E expect_err(std::string_view msg) && { return get<err_index>(std::move(*this), msg); }
    ///@}

    ///@{
    /// The value if ok, else nullopt. Rust: `Result::ok`.
    std::optional<T> ok() const&
        requires(!std::is_void_v<T>)
    {
        return is_ok() ? std::optional<T>{std::get<ok_index>(storage_)} : std::nullopt;
    }
    std::optional<T> ok() &&
        requires(!std::is_void_v<T>)
    {
        return is_ok() ? std::optional<T>{std::get<ok_index>(std::move(storage_))} : std::nullopt;
    }
    ///@}
    /// For `Result<void, E>`: Rust's `Option<()>`; `r.ok();` is how a port discards a result it does not need.
    std::optional<detail::Unit> ok() const
        requires std::is_void_v<T>
    {
        return is_ok() ? std::optional<detail::Unit>{detail::Unit{}} : std::nullopt;
    }

    ///@{
    /// The error if there is one, else nullopt. Rust: `Result::err`.
    std::optional<E> err() const&
        requires(!std::is_void_v<E>)
    {
        return is_err() ? std::optional<E>{std::get<err_index>(storage_)} : std::nullopt;
    }
    std::optional<E> err() &&
        requires(!std::is_void_v<E>)
    {
        return is_err() ? std::optional<E>{std::get<err_index>(std::move(storage_))} : std::nullopt;
    }
    ///@}

    ///@{
    /// The value if ok, else `fallback`.
    T unwrap_or(detail::Stored<T> fallback) const&
        requires(!std::is_void_v<T>)
    {
        return is_ok() ? std::get<ok_index>(storage_) : std::move(fallback);
    }
    T unwrap_or(detail::Stored<T> fallback) &&
        requires(!std::is_void_v<T>)
    {
        return is_ok() ? std::get<ok_index>(std::move(storage_)) : std::move(fallback);
    }
    ///@}

    /// Equal when the same side holds equal values; compares with `Ok(v)` and `Err(e)` directly.
    friend bool operator==(const Result& a, const Result& b)
        requires std::equality_comparable<detail::Stored<T>> && std::equality_comparable<detail::Stored<E>>
    {
        return a.storage_ == b.storage_;
    }

private:
    static constexpr std::string_view unwrap_message = "called unwrap() on an Err value";
    static constexpr std::string_view unwrap_err_message = "called unwrap_err() on an Ok value";

    // One body for the twelve accessors: `Self` carries the constness and value category to return with.
    template <std::size_t Index, class Self>
    static decltype(auto) get(Self&& self, std::string_view msg) {
        if (self.storage_.index() != Index) {
            throw Panic{detail::panic_message(msg, std::get<1 - Index>(self.storage_))};
        }
        if constexpr (!std::is_same_v<std::variant_alternative_t<Index, Storage>, detail::Unit>) {
            return std::get<Index>(std::forward<Self>(self).storage_);
        }
    }

    using Storage = std::variant<detail::Stored<T>, detail::Stored<E>>;
    Storage storage_;
};

namespace detail {
/// True for any `Result<T, E>`.
template <class R>
inline constexpr bool is_result = false;
template <class T, class E>
inline constexpr bool is_result<Result<T, E>> = true;
}  // namespace detail

}  // namespace bastion
