#pragma once
/// \file
/// MessageHandler: takes a SignedMessage apart with a chain of typed handlers, the fluent alternative to `MSG`.
/// Rust: `bastion::message::MessageHandler`.

#include <bastion/message.hpp>
#include <bastion/ref_addr.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace bastion {

namespace detail {

/// False, but only once `T` is known: lets a `static_assert` fire when a misuse is instantiated, not before.
template <class... T>
inline constexpr bool message_misuse = false;

/// The parameters and result of a callable whose types are written out: a lambda with typed parameters (not
/// `auto`), a function object with one `operator()`, or a function pointer. Shared by MSG's arms and
/// MessageHandler's handlers. Constant cost: no recursion over the parameters.
template <class A0 = void, class...>
struct FirstOf {
    using type = A0;
};

template <class Sig>
struct CallSignature {
    static constexpr bool known = false;
};
template <class R, class... A>
struct CallSignature<R(A...)> {
    static constexpr bool known = true;
    static constexpr std::size_t arity = sizeof...(A);
    using result = R;
    using first = typename FirstOf<A...>::type;                                                     // void if none
    using last = typename decltype((std::type_identity<void>{}, ..., std::type_identity<A>{}))::type;  // void if none
};
template <class R, class... A>
struct CallSignature<R(A...) noexcept> : CallSignature<R(A...)> {};
template <class R, class... A>
struct CallSignature<R (*)(A...)> : CallSignature<R(A...)> {};
template <class R, class... A>
struct CallSignature<R (*)(A...) noexcept> : CallSignature<R(A...)> {};
template <class C, class R, class... A>
struct CallSignature<R (C::*)(A...)> : CallSignature<R(A...)> {};
template <class C, class R, class... A>
struct CallSignature<R (C::*)(A...) const> : CallSignature<R(A...)> {};
template <class C, class R, class... A>
struct CallSignature<R (C::*)(A...) noexcept> : CallSignature<R(A...)> {};
template <class C, class R, class... A>
struct CallSignature<R (C::*)(A...) const noexcept> : CallSignature<R(A...)> {};

template <class F>
struct CallSignatureOf : CallSignature<std::remove_cvref_t<F>> {};
template <class F>
    requires requires { &std::remove_cvref_t<F>::operator(); }
struct CallSignatureOf<F> : CallSignature<decltype(&std::remove_cvref_t<F>::operator())> {};

/// How a handler takes its payload: by value, `const T&`, or a way that cannot work (`T&`, `T&&`).
template <class P>
inline constexpr bool by_value_or_const_ref =
    !std::is_reference_v<P> || (std::is_lvalue_reference_v<P> && std::is_const_v<std::remove_reference_t<P>>);

/// A broadcast's payload is shared: `const T&`, or by value as a copy.
template <class P>
inline constexpr bool fits_broadcast =
    std::is_reference_v<P> ? std::is_lvalue_reference_v<P> && std::is_const_v<std::remove_reference_t<P>>
                           : std::is_copy_constructible_v<P>;

/// The payload type a handler matches: the declared parameter, decayed (`const std::string&` matches a
/// `std::string`; `const char*` stays `const char*`).
template <class P>
using MatchedPayload = std::decay_t<P>;

/// Where a handler's output waits until `on_fallback` returns it.
template <class O>
class HandlerOutput {
public:
    bool has_value() const noexcept { return value_.has_value(); }
    template <class Call>
    void fill(Call&& call) {
        value_.emplace(std::forward<Call>(call)());
    }
    O take() { return std::move(*value_); }

private:
    std::optional<O> value_;
};
template <>
class HandlerOutput<void> {
public:
    bool has_value() const noexcept { return matched_; }
    template <class Call>
    void fill(Call&& call) {
        std::forward<Call>(call)();
        matched_ = true;
    }
    void take() noexcept {}

private:
    bool matched_ = false;
};

/// Stands for "deduce the payload type from the handler's first parameter".
struct DeducedPayload;

/// The payload type a handler's first parameter names (void if it names none).
template <class Sig, bool = Sig::known>
struct FirstPayload {
    using type = void;
};
template <class Sig>
struct FirstPayload<Sig, true> {
    using type = MatchedPayload<typename Sig::first>;
};

}  // namespace detail

/// Takes a message apart, one typed handler after another; the first that matches runs and the rest are skipped.
///
/// ```cpp
/// MessageHandler{ctx.recv()}                                   // MessageHandler<void>; MessageHandler<O>{...} else
///     .on_question([&](std::string q, AnswerSender sender) { (void)std::move(sender).reply(q.size()); })
///     .on_broadcast([&](const std::string& b, RefAddr from) { ... })
///     .on_tell([&](std::string t, RefAddr from) { ... })
///     .on_fallback([&](Msg& unknown, RefAddr from) { ... });   // terminal: returns the O of whichever ran
/// ```
///
/// Same semantics as `MSG`: the message's kind decides which handlers may match (an ask only `on_question`, a tell
/// only `on_tell`, a broadcast only `on_broadcast`), then the payload's exact type (`const char*`, `std::string` and
/// `std::string_view` are three types). An ask no `on_question` matches has its AnswerSender dropped once the
/// fallback returns, so its asker gets an error. The payload type is the handler's first parameter, decayed, or is
/// named: `on_tell<std::string>([](auto s, RefAddr) { ... })`. Each call consumes the handler (Rust's `self`), so a
/// chain is written on the temporary; a chain not ended by `on_fallback` is a warning. Rust: `MessageHandler`.
template <class O = void>
class [[nodiscard("end a MessageHandler chain with .on_fallback(...)")]] MessageHandler {
    static_assert(!std::is_reference_v<O>, "MessageHandler<O>: O is the handlers' result, a value type or void");

public:
    /// Rust: `MessageHandler::new`.
    explicit MessageHandler(SignedMessage msg) noexcept : msg_{std::move(msg)} {}
    /// Moves the message and any result along the chain (what each `on_*` call does).
    MessageHandler(MessageHandler&&) = default;
    MessageHandler& operator=(MessageHandler&&) = delete;
    /// An ask nobody took is dropped here, so its asker gets an error rather than waiting forever.
    ~MessageHandler() { drop_question(); }

    /// Handles an ask of `T`: `f(T question, AnswerSender sender) -> O`; replying is up to `f`. Rust: `on_question`.
    template <class T = ::bastion::detail::DeducedPayload, class F>
    MessageHandler on_question(F&& f) && {
        using P = payload_of<T, F>;
        if constexpr (check<Kind::Question, T, F>()) {
            if (!out_.has_value() && msg_.msg().is_ask() && msg_.msg().template is<P>()) {
                std::optional<AnswerSender> sender = msg_.msg().take_sender();
                if (sender) {
                    P& question = *static_cast<P*>(msg_.msg().payload());
                    out_.fill([&]() -> O { return std::invoke(f, std::move(question), std::move(*sender)); });
                }
            }
        }
        return std::move(*this);
    }

    /// Handles a tell of `T`: `f(T message, RefAddr sender) -> O`, the payload moved in. Rust: `on_tell`.
    template <class T = ::bastion::detail::DeducedPayload, class F>
    MessageHandler on_tell(F&& f) && {
        using P = payload_of<T, F>;
        if constexpr (check<Kind::Tell, T, F>()) {
            if (!out_.has_value() && msg_.msg().is_tell() && msg_.msg().template is<P>()) {
                P& message = *static_cast<P*>(msg_.msg().payload());
                out_.fill([&]() -> O { return std::invoke(f, std::move(message), msg_.signature()); });
            }
        }
        return std::move(*this);
    }

    /// Handles a broadcast of `T`: `f(const T& message, RefAddr sender) -> O`; the payload is shared with the other
    /// receivers. Rust: `on_broadcast`.
    template <class T = ::bastion::detail::DeducedPayload, class F>
    MessageHandler on_broadcast(F&& f) && {
        using P = payload_of<T, F>;
        if constexpr (check<Kind::Broadcast, T, F>()) {
            if (!out_.has_value() && msg_.msg().is_broadcast() && msg_.msg().template is<P>()) {
                const P& message = *static_cast<const P*>(msg_.msg().payload());
                out_.fill([&]() -> O { return std::invoke(f, message, msg_.signature()); });
            }
        }
        return std::move(*this);
    }

    /// Ends the chain: the output of the handler that matched, or else `f(Msg& unknown, RefAddr sender) -> O`.
    /// An unmatched ask's AnswerSender is taken out of `unknown` first and dropped once `f` returns (as upstream,
    /// the fallback cannot reply). Rust: `on_fallback`.
    template <class F>
    O on_fallback(F&& f) && {
        if constexpr (!std::is_invocable_v<F&, Msg&, RefAddr>) {
            static_assert(misuse<F>, "on_fallback takes [..](Msg& unknown, RefAddr sender) -> O");
        } else if constexpr (!std::is_convertible_v<std::invoke_result_t<F&, Msg&, RefAddr>, O>) {
            static_assert(misuse<F>, "every handler of a MessageHandler<O> returns O");
        } else {
            if (out_.has_value()) return out_.take();
            std::optional<AnswerSender> unanswered = msg_.msg().take_sender();
            return std::invoke(f, msg_.msg(), msg_.signature());
        }
    }

private:
    enum class Kind { Question, Tell, Broadcast };

    template <class... T>
    static constexpr bool misuse = ::bastion::detail::message_misuse<T...>;

    template <class T, class F>
    struct PayloadOf {
        using type = T;
    };
    template <class F>
    struct PayloadOf<::bastion::detail::DeducedPayload, F> {
        using type = typename ::bastion::detail::FirstPayload<::bastion::detail::CallSignatureOf<F>>::type;
    };
    template <class T, class F>
    using payload_of = typename PayloadOf<T, F>::type;

    // Every misuse gets one sentence (and only one); true when the handler is usable.
    template <Kind K, class T, class F>
    static constexpr bool check() {
        if constexpr (std::is_same_v<T, ::bastion::detail::DeducedPayload>) {
            using Sig = ::bastion::detail::CallSignatureOf<F>;
            if constexpr (!Sig::known) {
                static_assert(misuse<F>,
                              "a MessageHandler handler with `auto` parameters hides its payload type: name it, as in "
                              "on_tell<T>(...), or give the handler a typed first parameter");
                return false;
            } else if constexpr (Sig::arity != 2) {
                static_assert(misuse<F>,
                              "a MessageHandler handler takes two parameters: the payload, then the AnswerSender "
                              "(on_question) or the sender's RefAddr (on_tell, on_broadcast)");
                return false;
            } else if constexpr (K == Kind::Broadcast && !::bastion::detail::fits_broadcast<typename Sig::first>) {
                static_assert(misuse<F>, "an on_broadcast handler takes const T&: the payload is shared");
                return false;
            } else if constexpr (K != Kind::Broadcast &&
                                 !::bastion::detail::by_value_or_const_ref<typename Sig::first>) {
                static_assert(misuse<F>,
                              "an on_tell or on_question handler takes its payload by value or const&");
                return false;
            } else {
                return callable<K, payload_of<T, F>, F>();
            }
        } else {
            return callable<K, T, F>();
        }
    }

    template <Kind K, class P, class F>
    static constexpr bool callable() {
        if constexpr (K == Kind::Broadcast) {
            if constexpr (!std::is_invocable_v<F&, const P&, RefAddr>) {
                static_assert(misuse<F>, "on_broadcast takes [..](const T& message, RefAddr sender) -> O");
                return false;
            } else {
                return result_is_o<std::invoke_result_t<F&, const P&, RefAddr>>();
            }
        } else if constexpr (K == Kind::Tell) {
            if constexpr (!std::is_invocable_v<F&, P&&, RefAddr>) {
                static_assert(misuse<F>, "on_tell takes [..](T message, RefAddr sender) -> O");
                return false;
            } else {
                return result_is_o<std::invoke_result_t<F&, P&&, RefAddr>>();
            }
        } else {
            if constexpr (!std::is_invocable_v<F&, P&&, AnswerSender&&>) {
                static_assert(misuse<F>, "on_question takes [..](T question, AnswerSender sender) -> O");
                return false;
            } else {
                return result_is_o<std::invoke_result_t<F&, P&&, AnswerSender&&>>();
            }
        }
    }

    template <class R>
    static constexpr bool result_is_o() {
        if constexpr (!std::is_convertible_v<R, O>) {
            static_assert(misuse<R>, "every handler of a MessageHandler<O> returns O");
            return false;
        } else {
            return true;
        }
    }

    void drop_question() noexcept {
        if (msg_.msg().is_ask()) (void)msg_.msg().take_sender();
    }

    SignedMessage msg_;
    ::bastion::detail::HandlerOutput<O> out_;
};

}  // namespace bastion
