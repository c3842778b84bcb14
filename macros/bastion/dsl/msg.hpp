#pragma once
/// \file
/// `MSG`, `BROADCAST`, `TELL`, `ASK`, `OTHERWISE`, `ANSWER` and `SIGNATURE`: Rust's `msg!`, `answer!` and
/// `signature!`. Also `RUN(answer)`, Rust's `run!(answer)`.
///
/// ```cpp
/// int n = MSG(ctx.recv(),                                     // msg! { ctx.recv().await?,
///     BROADCAST(const std::string& s) { return 1; },         //     ref s: String => 1;
///     TELL(std::unique_ptr<int> p) { return *p; },           //     p: Box<i32> => *p;
///     ASK(const char* question) {                            //     question: &'static str =!> {
///         (void)ANSWER(ctx, "Goodbye!");                     //         answer!(ctx, "Goodbye!");
///         auto who = SIGNATURE();                            //         let who = signature!();
///         return 3;                                          //         3
///     },                                                     //     };
///     OTHERWISE(unknown) { return 0; });                     //     unknown: _ => 0; }
/// ```
///
/// `MSG(message, arms...)` is an expression. `message` is evaluated once and consumed: a SignedMessage (an lvalue is
/// moved from, as Rust's macro moves it) or a `Result<SignedMessage, E>`, whose Err throws MessageError (Rust's `?`:
/// inside an actor it faults the actor). Dispatch is kind first: a broadcast goes to the BROADCAST arms, a tell to
/// the TELL arms, an ask to the ASK arms; then the first of those, in order, whose parameter type, decayed, is
/// exactly the payload's type (`const char*`, `std::string` and `std::string_view` are three types); otherwise
/// OTHERWISE, which is mandatory and last. An ask that does not reach an ASK arm has its AnswerSender dropped when
/// MSG ends, so its asker's Answer resolves to an error. Every arm returns the same type, MSG's type.
///
/// - `BROADCAST(const T& name) { ... }`: the payload is shared with the other receivers (by value: a copy).
/// - `TELL(T name)` / `TELL(const T& name)`: the payload, moved in.
/// - `ASK(T name)` / `ASK(const T& name)`: likewise; the arm may `ANSWER(ctx, reply)`, which sends `reply` to the asker
///   (signed with the replier's address) and yields `Result<void, Reply>`: the reply back if the asker is gone. As
///   in Rust, `ctx` is not used (but a SignedMessage there is refused, as ambiguous). An ask takes one reply; a
///   second ANSWER throws MessageError. In a TELL, BROADCAST or OTHERWISE arm of a MSG nested in an ASK arm, ANSWER
///   answers that outer ask, as in Rust; an inner ASK arm answers its own. ANSWER works while the arm runs: to
///   reply later or from another thread, use MessageHandler's `on_question`, which hands over the AnswerSender.
/// - `OTHERWISE(name)` / `OTHERWISE(_)`: `name` is the `Msg&` (its AnswerSender, if any, already taken).
/// - `SIGNATURE()`, in any arm: the sender's `RefAddr` (Rust: `signature!()`, also in every arm).
/// - `ANSWER(signed_msg, reply)`, outside ASK arms: answers an ask held as a SignedMessage (Rust's global
///   `answer!(msg, reply)`); throws MessageError if it is not an ask or was answered already.
///
/// Each arm is `TAG ->* [&](hidden scope parameters, decl) { body }`: the preprocessor supplies the syntax, templates
/// check it. Misuse fails with a sentence: no OTHERWISE or not last, `T&`/`T&&` parameters, a BROADCAST by value of
/// a non-copyable type, arms returning different types, ANSWER(ctx, ...) outside an ASK arm, SIGNATURE() outside
/// MSG. Cost: no allocation (the message's own is the only one); a constant number of instantiations per arm.
///
/// Every macro also exists as `BASTION_MSG` etc.; the short names are not defined when
/// `BASTION_NO_SHORT_MACRO_NAMES` is.

#include <bastion/answer.hpp>
#include <bastion/dsl/spawn.hpp>
#include <bastion/errors.hpp>
#include <bastion/message.hpp>
#include <bastion/message_handler.hpp>
#include <bastion/ref_addr.hpp>
#include <bastion/result.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace bastion {

/// What MSG throws when given `Err` instead of a message (Rust's `?` on `ctx.recv().await?`), and what ANSWER throws
/// for a message that is not an unanswered ask. Inside an actor, it faults the actor.
class MessageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

/// What ANSWER(ctx, reply) finds outside an ASK arm, and SIGNATURE() outside any arm.
struct NoAskScope {};
struct NoSignScope {};

/// The hidden first parameter of an ASK arm: the ask's reply channel, valid while the arm runs.
class AskScope {
public:
    explicit AskScope(std::optional<AnswerSender>& sender) noexcept : sender_{&sender} {}
    // Not copyable, so a lambda that would outlive the arm cannot copy it ([=] around ANSWER). To answer later or
    // from another thread, handle the ask with MessageHandler::on_question, which hands over the AnswerSender.
    AskScope(const AskScope&) = delete;
    AskScope& operator=(const AskScope&) = delete;

    template <class M>
    Result<void, Payload<M>> reply(M&& reply) const {
        if (!*sender_) throw MessageError{"bastion: ANSWER: this ask was answered already (an ask takes one reply)"};
        AnswerSender sender = std::move(**sender_);
        sender_->reset();
        return std::move(sender).reply(std::forward<M>(reply));
    }

private:
    std::optional<AnswerSender>* sender_;
};

/// The hidden parameter of every arm: who sent the message.
class SignScope {
public:
    explicit SignScope(const RefAddr& sign) noexcept : sign_{&sign} {}
    const RefAddr& signature() const noexcept { return *sign_; }

private:
    const RefAddr* sign_;
};

template <class M>
Result<void, Payload<M>> answer_message(SignedMessage& msg, M&& reply) {
    std::optional<AnswerSender> sender = msg.msg().take_sender();
    if (!sender) throw MessageError{"bastion: ANSWER(msg, reply): the message is not an ask, or was answered already"};
    return std::move(*sender).reply(std::forward<M>(reply));
}

template <class Target>
inline constexpr bool is_signed_message = std::is_same_v<std::remove_cvref_t<Target>, SignedMessage>;

/// `ANSWER(ctx, reply)` in an ASK arm (or in an arm nested in one): replies to that ask. As with Rust's local
/// `answer!`, `ctx` is not used (Rust reads its signature; here the reply is signed with the replier's address).
template <class Target, class M>
Result<void, Payload<M>> answer(const AskScope& scope, Target&&, M&& reply) {
    if constexpr (is_signed_message<Target>) {
        static_assert(message_misuse<Target>,
                      "inside an ASK arm, ANSWER(ctx, reply) answers that arm's ask; to answer another SignedMessage "
                      "here, take its sender: msg.msg().take_sender()");
        return Err(Payload<M>(std::forward<M>(reply)));
    } else {
        return scope.reply(std::forward<M>(reply));
    }
}

/// `ANSWER(x, reply)` elsewhere: only the SignedMessage form exists.
template <class Target, class M>
Result<void, Payload<M>> answer(const NoAskScope&, Target&& target, M&& reply) {
    if constexpr (is_signed_message<Target> && !std::is_const_v<std::remove_reference_t<Target>>) {
        return answer_message(target, std::forward<M>(reply));
    } else {
        static_assert(message_misuse<Target>,
                      "ANSWER(ctx, reply) answers the ask being handled, so it belongs inside an ASK arm of MSG; "
                      "elsewhere, answer a SignedMessage with ANSWER(msg, reply)");
        return Err(Payload<M>(std::forward<M>(reply)));
    }
}

inline const RefAddr& signature(const SignScope& scope) noexcept { return scope.signature(); }

template <class Scope>
    requires std::is_same_v<Scope, NoSignScope>
const RefAddr& signature(const Scope&) noexcept {
    static_assert(message_misuse<Scope>, "SIGNATURE() names the sender of the message being handled, so it belongs "
                                         "inside an arm of MSG; elsewhere, use msg.signature()");
    return *static_cast<const RefAddr*>(nullptr);
}

// ---- arms ------------------------------------------------------------------------------------------------------

enum class ArmKind { Broadcast, Tell, Ask, Otherwise };

/// The lambda of an arm of kind K: `(AskScope, SignScope, decl)` for ASK, `(SignScope, decl)` otherwise.
template <ArmKind K, class F>
inline constexpr std::size_t arm_arity = K == ArmKind::Ask ? 3 : 2;

/// Whether an arm's lambda can be used; when not, check_arm says why.
template <ArmKind K, class F, class Sig = CallSignatureOf<F>, bool = Sig::known>
inline constexpr bool usable_arm = false;
template <ArmKind K, class F, class Sig>
inline constexpr bool usable_arm<K, F, Sig, true> =
    Sig::arity == arm_arity<K, F> &&
    (K == ArmKind::Broadcast ? fits_broadcast<typename Sig::last>
     : K == ArmKind::Otherwise ? true
                              : by_value_or_const_ref<typename Sig::last>);

// One static_assert says what is wrong with an arm. Runs where the arm is built, so the error points at the arm.
template <ArmKind K, class F>
constexpr void check_arm() {
    using Sig = CallSignatureOf<F>;
    if constexpr (!Sig::known) {
        static_assert(message_misuse<F>, "an arm of MSG names its payload's type, as in TELL(const T& name): not auto");
    } else if constexpr (Sig::arity != arm_arity<K, F>) {
        static_assert(message_misuse<F>, "an arm of MSG takes one parameter, its payload: TELL(T name) { ... }");
    } else if constexpr (K == ArmKind::Broadcast) {
        static_assert(fits_broadcast<typename Sig::last>, "a BROADCAST arm takes const T&: the payload is shared");
    } else if constexpr (K == ArmKind::Tell) {
        static_assert(by_value_or_const_ref<typename Sig::last>, "a TELL arm takes its payload by value or const&");
    } else if constexpr (K == ArmKind::Ask) {
        static_assert(by_value_or_const_ref<typename Sig::last>, "an ASK arm takes its payload by value or const&");
    }
}

/// One arm of MSG: its kind, its lambda, the payload type it matches and what it returns.
template <ArmKind K, class F>
struct Arm {
    static constexpr ArmKind kind = K;
    static constexpr bool usable = usable_arm<K, F>;
    using Payload = MatchedPayload<typename CallSignatureOf<F>::last>;
    using Result = typename CallSignatureOf<F>::result;
    F fn;
};
template <ArmKind K, class F>
    requires(!usable_arm<K, F>)
struct Arm<K, F> {
    static constexpr ArmKind kind = K;
    static constexpr bool usable = false;
    using Payload = void;
    using Result = void;
    F fn;
};

template <class A>
inline constexpr bool is_arm = false;
template <ArmKind K, class F>
inline constexpr bool is_arm<Arm<K, F>> = true;

template <class A>
inline constexpr bool is_otherwise = false;
template <class F>
inline constexpr bool is_otherwise<Arm<ArmKind::Otherwise, F>> = true;

/// `TAG ->* lambda`: what BROADCAST, TELL, ASK and OTHERWISE expand to.
template <ArmKind K>
struct ArmTag {
    template <class F>
    friend Arm<K, std::decay_t<F>> operator->*(ArmTag, F&& fn) {
        check_arm<K, std::decay_t<F>>();
        return {std::forward<F>(fn)};
    }
};

/// Where the result of the arm that ran waits until MSG returns it.
template <class R>
class ArmResult {
public:
    template <class Call>
    void fill(Call&& call) {
        value_.emplace(std::forward<Call>(call)());
    }
    R take() { return std::move(*value_); }

private:
    std::optional<R> value_;
};
template <class R>
class ArmResult<R&> {
public:
    template <class Call>
    void fill(Call&& call) {
        value_ = &std::forward<Call>(call)();
    }
    R& take() noexcept { return *value_; }

private:
    R* value_ = nullptr;
};
template <>
class ArmResult<void> {
public:
    template <class Call>
    void fill(Call&& call) {
        std::forward<Call>(call)();
    }
    void take() noexcept {}
};

// ---- the message ------------------------------------------------------------------------------------------------

/// MSG's first argument, as the SignedMessage it consumes.
template <class Input>
SignedMessage take_message(Input&& input) {
    using I = std::remove_cvref_t<Input>;
    constexpr bool is_const = std::is_const_v<std::remove_reference_t<Input>>;
    if constexpr (std::is_same_v<I, SignedMessage> && !is_const) {
        return std::move(input);
    } else if constexpr (is_result<I> && !is_const) {
        if constexpr (std::is_same_v<typename I::value_type, SignedMessage>) {
            if (input.is_err()) {
                if constexpr (std::is_void_v<typename I::error_type>) {
                    throw MessageError{"bastion: MSG got Err instead of a message"};
                } else {
                    throw MessageError{panic_message("bastion: MSG got Err instead of a message", input.unwrap_err())};
                }
            }
            return std::move(input).unwrap();
        } else {
            static_assert(message_misuse<I>, "MSG takes a Result<SignedMessage, E>, not another Result");
            return {};
        }
    } else {
        static_assert(message_misuse<I>,
                      "MSG takes a (non-const) SignedMessage, as from ctx.recv() or answer.get(), or a "
                      "Result<SignedMessage, E>, as from answer.try_get()");
        return {};
    }
}

// ---- dispatch ---------------------------------------------------------------------------------------------------

template <class... Arms>
consteval bool otherwise_is_last() {
    constexpr std::size_t n = sizeof...(Arms);
    constexpr bool flags[n + 1] = {is_otherwise<std::remove_cvref_t<Arms>>..., false};
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += flags[i] ? 1 : 0;
    return n > 0 && count == 1 && flags[n - 1];
}

/// What MSG expands to.
template <class Input, class... Arms>
decltype(auto) dispatch_msg(Input&& input, Arms&&... arms) {
    if constexpr (!(is_arm<std::remove_cvref_t<Arms>> && ...)) {
        static_assert(message_misuse<Arms...>, "after the message, every argument of MSG is an arm: BROADCAST(...), "
                                               "TELL(...), ASK(...) or OTHERWISE(...)");
    } else if constexpr (!otherwise_is_last<Arms...>()) {
        static_assert(message_misuse<Arms...>, "MSG needs an OTHERWISE(_) arm, last");
    } else if constexpr (!(std::remove_cvref_t<Arms>::usable && ...)) {
        return;  // check_arm has said what is wrong with the arm
    } else {
        using R = typename decltype((std::type_identity<void>{}, ...,
                                     std::type_identity<typename std::remove_cvref_t<Arms>::Result>{}))::type;
        if constexpr (!(std::is_same_v<typename std::remove_cvref_t<Arms>::Result, R> && ...)) {
            static_assert(message_misuse<Arms...>,
                          "every arm of MSG returns the same type: MSG is an expression, like Rust's match");
        } else {
            SignedMessage signed_msg = take_message(std::forward<Input>(input));
            Msg& msg = signed_msg.msg();
            // As upstream: the reply channel is taken first, given to an ASK arm, and otherwise dropped when MSG ends.
            std::optional<AnswerSender> sender = msg.take_sender();
            const AskScope ask{sender};
            const SignScope sign{signed_msg.signature()};
            const MessageKind kind = msg.kind();
            ArmResult<R> out;
            auto attempt = [&]<ArmKind K, class F>(Arm<K, F>& arm) -> bool {
                if constexpr (K == ArmKind::Otherwise) {
                    out.fill([&]() -> R { return arm.fn(sign, msg); });
                    return true;
                } else {
                    using T = typename Arm<K, F>::Payload;
                    constexpr MessageKind wanted = K == ArmKind::Broadcast ? MessageKind::Broadcast
                                                   : K == ArmKind::Tell    ? MessageKind::Tell
                                                                           : MessageKind::Ask;
                    if (kind != wanted || !msg.is<T>()) return false;
                    if constexpr (K == ArmKind::Broadcast) {
                        const T& payload = *static_cast<const T*>(msg.payload());
                        out.fill([&]() -> R { return arm.fn(sign, payload); });
                    } else if constexpr (K == ArmKind::Tell) {
                        T& payload = *static_cast<T*>(msg.payload());
                        out.fill([&]() -> R { return arm.fn(sign, std::move(payload)); });
                    } else {
                        T& payload = *static_cast<T*>(msg.payload());
                        out.fill([&]() -> R { return arm.fn(ask, sign, std::move(payload)); });
                    }
                    return true;
                }
            };
            (void)(attempt(arms) || ...);
            return out.take();
        }
    }
}

}  // namespace detail

}  // namespace bastion

///@{
/// What ANSWER and SIGNATURE find outside an arm of MSG, where an arm's hidden parameters of the same names do not
/// hide them. Not for use.
inline constexpr ::bastion::detail::NoAskScope bastion_ask_scope_{};
inline constexpr ::bastion::detail::NoSignScope bastion_sign_scope_{};
///@}

namespace bastion::executor {

///@{
/// Waits for the reply of an ask (a thread blocks, a lightproc suspends): Other if none will come. Rust:
/// `run!(answer)`, which yields `Result<SignedMessage, ()>`. For `RUN(answer)`.
inline Result<SignedMessage, ReceiveError> run(Answer& answer) { return answer.try_get(); }
inline Result<SignedMessage, ReceiveError> run(Answer&& answer) { return answer.try_get(); }
///@}

}  // namespace bastion::executor

/// `MSG(message, arms...)`: takes a message apart; an expression (see the file comment).
#define BASTION_MSG(...) ::bastion::detail::dispatch_msg(__VA_ARGS__)

/// `BROADCAST(const T& name) { ... }`: an arm for a broadcast of T.
#define BASTION_BROADCAST(...)                                                                                 \
    ::bastion::detail::ArmTag<::bastion::detail::ArmKind::Broadcast>{}->*[&](                                  \
        [[maybe_unused]] const ::bastion::detail::SignScope& bastion_sign_scope_, [[maybe_unused]] __VA_ARGS__)

/// `TELL(T name) { ... }`: an arm for a tell of T.
#define BASTION_TELL(...)                                                                                      \
    ::bastion::detail::ArmTag<::bastion::detail::ArmKind::Tell>{}->*[&](                                       \
        [[maybe_unused]] const ::bastion::detail::SignScope& bastion_sign_scope_, [[maybe_unused]] __VA_ARGS__)

/// `ASK(T name) { ... }`: an arm for an ask of T, where `ANSWER(ctx, reply)` replies.
#define BASTION_ASK(...)                                                                                       \
    ::bastion::detail::ArmTag<::bastion::detail::ArmKind::Ask>{}->*[&](                                        \
        [[maybe_unused]] const ::bastion::detail::AskScope& bastion_ask_scope_,                                \
        [[maybe_unused]] const ::bastion::detail::SignScope& bastion_sign_scope_, [[maybe_unused]] __VA_ARGS__)

/// `OTHERWISE(name) { ... }` or `OTHERWISE(_) { ... }`: the mandatory last arm; `name` is the `Msg&`.
#define BASTION_OTHERWISE(name)                                                                                \
    ::bastion::detail::ArmTag<::bastion::detail::ArmKind::Otherwise>{}->*[&](                                  \
        [[maybe_unused]] const ::bastion::detail::SignScope& bastion_sign_scope_,                              \
        [[maybe_unused]] ::bastion::Msg& name)

/// `ANSWER(ctx, reply)` in an ASK arm, or `ANSWER(signed_msg, reply)` outside one: `Result<void, Reply>`, the
/// reply back if the asker is gone.
#define BASTION_ANSWER(...) ::bastion::detail::answer(bastion_ask_scope_, __VA_ARGS__)

/// `SIGNATURE()` in an arm of MSG: the sender's `const RefAddr&`.
#define BASTION_SIGNATURE() ::bastion::detail::signature(bastion_sign_scope_)

#ifndef BASTION_NO_SHORT_MACRO_NAMES
///@{
/// The short name of the `BASTION_` macro it expands to; not defined if `BASTION_NO_SHORT_MACRO_NAMES` is.
#define MSG(...) BASTION_MSG(__VA_ARGS__)
#define BROADCAST(...) BASTION_BROADCAST(__VA_ARGS__)
#define TELL(...) BASTION_TELL(__VA_ARGS__)
#define ASK(...) BASTION_ASK(__VA_ARGS__)
#define OTHERWISE(name) BASTION_OTHERWISE(name)
#define ANSWER(...) BASTION_ANSWER(__VA_ARGS__)
#define SIGNATURE() BASTION_SIGNATURE()
///@}
#endif
