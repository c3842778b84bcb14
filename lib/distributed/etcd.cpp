// Discovery through etcd v3, spoken through the HTTP/JSON gateway etcd 3.4 serves at /v3/... (keys and values are
// base64 there, 64-bit integers are strings).
//
// Each node holds the key `prefix + name` -> {"name", "address", "incarnation"}, bound to a lease it renews every third
// of the lease's TTL, and keeps a view of the prefix: it lists it, then watches it from the revision after the list. A
// node that crashes stops renewing; etcd expires its lease and deletes its key, and the others' watches see it go. On
// any error (etcd down or restarted, history compacted, the stream ended) the provider backs off, takes a new lease if
// etcd no longer knows the old one, puts its key again, lists and watches anew; the last view stays readable meanwhile.
//
// Threads: libcurl blocks, so everything here runs on a plain thread of the provider's own, never on an executor
// worker. Every transfer goes through one multi handle, so the watch goes on streaming while a keep-alive or a put is
// under way, and stop() wakes the thread at once (curl_multi_wakeup). The view is the only state shared with the
// node's maintainer (under view_lock_); everything else belongs to the thread.

#include "distributed/discovery.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bastion::distributed::detail {

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using std::chrono::milliseconds;

// A request to a live etcd takes milliseconds (a put waits for one fsync); one still unanswered after this is a
// failure, so a hung etcd is noticed while the lease (renewed every third of its TTL) still has time left.
constexpr milliseconds request_timeout{2000};
// Connecting is immediate on a LAN (and refused at once when etcd is down); longer means the endpoint is unreachable.
constexpr milliseconds connect_timeout{1000};
// stop() revokes the lease so the others see this node go at once rather than a TTL later, but waits this long at most:
// a node leaving must not hang on an etcd that is gone (its lease then simply expires).
constexpr milliseconds revoke_timeout{500};
// After an error the provider retries after 100 ms, doubling up to 2 s: an etcd restart is caught within a couple of
// seconds, and an etcd that stays down gets one attempt every 2 s from each node.
constexpr milliseconds backoff_first{100};
constexpr milliseconds backoff_cap{2000};
// An answer (or one line of the watch stream) larger than this is not etcd talking to a few nodes: the transfer is
// dropped and started again.
constexpr std::size_t max_received = std::size_t{64} << 20;

void init_curl_once() {
    static std::once_flag done;
    std::call_once(done, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

constexpr std::string_view base64_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            group = (group << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= n ? base64_digits[(group >> (18 - 6 * j)) & 0x3f] : '=';
        }
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t group = 0;
    int bits = 0;
    for (const char c : text) {
        if (c == '=') break;
        const auto digit = base64_digits.find(c);
        if (digit == std::string_view::npos) return std::nullopt;
        group = (group << 6) | static_cast<std::uint32_t>(digit);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((group >> bits) & 0xff);
        }
    }
    return out;
}

// The end of the key range holding every key that starts with `prefix` (etcd's clientv3.GetPrefixRangeEnd).
std::string prefix_end(std::string prefix) {
    while (!prefix.empty()) {
        const auto last = static_cast<unsigned char>(prefix.back());
        if (last < 0xff) {
            prefix.back() = static_cast<char>(last + 1);
            return prefix;
        }
        prefix.pop_back();
    }
    return std::string(1, '\0');  // every key
}

// proto3's JSON mapping writes 64-bit integers as strings, and leaves out a field that is zero.
std::int64_t integer(const Json& object, const char* field) {
    const auto found = object.find(field);
    if (found == object.end()) return 0;
    if (found->is_number_integer()) return found->get<std::int64_t>();
    if (!found->is_string()) return 0;
    const auto& text = found->get_ref<const std::string&>();
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// What an error body says: `{"error": "...", "message": "...", "code": N}` from a request, `{"error": {"grpc_code": N,
// "http_code": N, "message": "..."}}` on a stream.
std::string error_text(const Json& body) {
    if (body.is_string()) return body.get<std::string>();
    if (!body.is_object()) return body.dump();
    for (const char* field : {"message", "error"}) {
        if (auto found = body.find(field); found != body.end() && found->is_string()) return found->get<std::string>();
    }
    return body.dump();
}

// The gRPC status code in an error body (5, NotFound, is a lease etcd no longer knows).
std::int64_t error_code(const Json& body) {
    if (!body.is_object()) return 0;
    if (auto code = integer(body, "code")) return code;
    if (auto error = body.find("error"); error != body.end() && error->is_object()) return integer(*error, "grpc_code");
    return 0;
}

constexpr std::int64_t grpc_not_found = 5;

// One HTTP POST of JSON to etcd, run by the provider's multi handle. The answer accumulates in `received`; a streaming
// one is handed over a line at a time instead if `on_line` is set (returning false ends the transfer).
class Transfer {
public:
    Transfer(const std::string& url, std::string body, milliseconds timeout) : body_{std::move(body)} {
        easy_ = curl_easy_init();
        if (easy_ == nullptr) return;
        headers_ = curl_slist_append(headers_, "Content-Type: application/json");
        headers_ = curl_slist_append(headers_, "Expect:");
        error_[0] = '\0';
        curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body_.c_str());
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
        curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::write);
        curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(easy_, CURLOPT_PRIVATE, this);
        curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_.data());
        curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
        if (timeout > milliseconds::zero()) {
            curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
        }
    }
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;
    ~Transfer() {
        if (multi_ != nullptr) curl_multi_remove_handle(multi_, easy_);
        if (easy_ != nullptr) curl_easy_cleanup(easy_);
        curl_slist_free_all(headers_);
    }

    /// Starts the transfer on `multi`; it runs while the owner pumps the multi handle.
    void add_to(CURLM* multi) {
        if (easy_ == nullptr || curl_multi_add_handle(multi, easy_) != CURLM_OK) {
            done_ = true;
            result_ = CURLE_FAILED_INIT;
            return;
        }
        multi_ = multi;
    }
    /// Called by the pump when curl says the transfer is over.
    void finish(CURLcode result) {
        done_ = true;
        result_ = result;
        curl_multi_remove_handle(multi_, easy_);
        multi_ = nullptr;
    }
    bool done() const { return done_; }
    /// Empty if the transfer succeeded with HTTP 200; else what went wrong, in words that stay the same from one retry
    /// to the next (so that a failure is reported once, not once per attempt).
    std::string failure() const {
        if (result_ != CURLE_OK) return curl_easy_strerror(result_);
        long status = 0;
        curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200) return {};
        const Json body = Json::parse(received, nullptr, false);
        return "HTTP " + std::to_string(status) + (body.is_discarded() ? std::string{} : ": " + error_text(body));
    }
    /// The gRPC status etcd answered with, if it refused the request (0 otherwise).
    std::int64_t refusal() const {
        if (result_ != CURLE_OK) return 0;
        return error_code(Json::parse(received, nullptr, false));
    }

    std::string received;
    std::function<bool(std::string_view)> on_line;

private:
    static std::size_t write(char* data, std::size_t size, std::size_t count, void* self) noexcept {
        auto& transfer = *static_cast<Transfer*>(self);
        const std::size_t bytes = size * count;
        try {
            transfer.received.append(data, bytes);
            if (transfer.on_line) {
                std::size_t start = 0;
                for (auto end = transfer.received.find('\n'); end != std::string::npos;
                     end = transfer.received.find('\n', start)) {
                    const std::string_view line{transfer.received.data() + start, end - start};
                    start = end + 1;
                    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
                    if (!transfer.on_line(line)) return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
                }
                transfer.received.erase(0, start);
            }
            return transfer.received.size() > max_received ? 0 : bytes;
        } catch (const std::exception&) {  // out of memory: end the transfer; it is retried
            return 0;
        }
    }

    std::string body_;
    CURL* easy_ = nullptr;
    CURLM* multi_ = nullptr;
    curl_slist* headers_ = nullptr;
    std::array<char, CURL_ERROR_SIZE> error_{};
    bool done_ = false;
    CURLcode result_ = CURLE_OK;
};

class EtcdDiscovery final : public Discovery {
public:
    explicit EtcdDiscovery(const Etcd& config)
        : config_{config}, range_end_{prefix_end(config.prefix)}, failures_(config.endpoints.size()) {
        init_curl_once();
        multi_ = curl_multi_init();
    }
    EtcdDiscovery(const EtcdDiscovery&) = delete;
    EtcdDiscovery& operator=(const EtcdDiscovery&) = delete;
    ~EtcdDiscovery() override {
        stop();
        if (multi_ != nullptr) curl_multi_cleanup(multi_);
    }

    void start(const Advert& self) override {
        key_ = config_.prefix + self.name;
        value_ = Json{{"name", self.name}, {"address", self.address}, {"incarnation", self.incarnation}}.dump();
        if (config_.endpoints.empty() || multi_ == nullptr) {
            std::cerr << "bastion: etcd: "
                      << (multi_ == nullptr ? "libcurl would not start" : "no endpoints configured")
                      << ": this node neither announces itself nor finds others through etcd\n";
            return;
        }
        thread_ = std::thread{[this] { run(); }};
    }

    std::vector<Advert> view() override {
        std::lock_guard guard{view_lock_};
        std::vector<Advert> out;
        out.reserve(view_.size());
        for (const auto& [key, advert] : view_) out.push_back(advert);
        return out;
    }

    void stop() noexcept override {
        std::lock_guard guard{stop_lock_};
        stopping_.store(true);
        if (!thread_.joinable()) return;
        curl_multi_wakeup(multi_);
        thread_.join();  // the thread revokes the lease on its way out (revoke_timeout at most)
    }

private:
    // Whether a pump ends early when stop() is called: everything does, except the final revoke.
    enum class Interrupt { OnStop, Never };

    struct Reply {
        Json body;
        std::string error;       // empty on success
        std::int64_t code = 0;  // the gRPC status of a refusal
    };

    std::string endpoint() const {
        std::string url = config_.endpoints[endpoint_];
        while (!url.empty() && url.back() == '/') url.pop_back();
        return url;
    }

    void run() {
        milliseconds backoff = backoff_first;
        while (!stopping_.load()) {
            std::string why;
            try {
                why = session(backoff);
            } catch (const std::exception& error) {
                why = std::string{"unexpected: "} + error.what();
            }
            if (stopping_.load()) break;
            report_failure(why);
            pump(Clock::now() + backoff, Interrupt::OnStop, [] { return false; });
            backoff = std::min(backoff * 2, backoff_cap);
            endpoint_ = (endpoint_ + 1) % config_.endpoints.size();
        }
        if (lease_ != 0) {
            try {
                (void)call("lease/revoke", {{"ID", std::to_string(lease_)}}, revoke_timeout, Interrupt::Never);
            } catch (const std::exception&) {  // best effort: the lease expires anyway
            }
        }
    }

    // Announces this node and keeps the view until an error (returned, in words) or stop() (an empty string).
    // `backoff` is reset once the provider is watching again.
    std::string session(milliseconds& backoff) {
        // The lease: kept while etcd still knows it (a restarted etcd keeps its leases), granted anew once it is gone.
        if (lease_ != 0) {
            if (auto error = keep_alive(); !error.empty()) return error;
        }
        if (lease_ == 0) {
            const auto ttl = std::max<std::int64_t>(config_.ttl.count(), 1);
            auto granted = call("lease/grant", {{"TTL", ttl}}, request_timeout, Interrupt::OnStop);
            if (!granted.error.empty()) return granted.error;
            lease_ = integer(granted.body, "ID");
            const auto granted_ttl = integer(granted.body, "TTL");  // etcd may raise a TTL below its minimum
            if (lease_ == 0 || granted_ttl <= 0) {
                lease_ = 0;
                return "lease/grant: no lease in the answer";
            }
            keep_alive_every_ = milliseconds{granted_ttl * 1000 / 3};
        }
        if (auto error = announce(); !error.empty()) return error;

        auto listed = call("kv/range",
                           {{"key", base64_encode(config_.prefix)}, {"range_end", base64_encode(range_end_)}},
                           request_timeout, Interrupt::OnStop);
        if (!listed.error.empty()) return listed.error;
        std::map<std::string, Advert> fresh;
        if (auto kvs = listed.body.find("kvs"); kvs != listed.body.end() && kvs->is_array()) {
            for (const Json& kv : *kvs) {
                if (auto entry = advert_of(kv)) {
                    fresh.insert_or_assign(std::move(entry->first), std::move(entry->second));
                }
            }
        }
        const auto header = listed.body.find("header");
        const std::int64_t revision = header == listed.body.end() ? 0 : integer(*header, "revision");
        {
            std::lock_guard guard{view_lock_};
            view_.swap(fresh);
        }

        Transfer watch{endpoint() + "/v3/watch",
                       Json{{"create_request",
                             {{"key", base64_encode(config_.prefix)},
                              {"range_end", base64_encode(range_end_)},
                              {"start_revision", std::to_string(revision + 1)}}}}
                           .dump(),
                       milliseconds::zero()};
        watch_error_.clear();
        own_key_deleted_ = false;
        watch.on_line = [this](std::string_view line) { return on_watch_line(line); };
        watch.add_to(multi_);
        report_recovery();
        backoff = backoff_first;

        auto next_keep_alive = Clock::now() + keep_alive_every_;
        for (;;) {
            pump(next_keep_alive, Interrupt::OnStop, [&] { return watch.done() || own_key_deleted_; });
            if (stopping_.load()) return {};
            if (watch.done()) {
                if (!watch_error_.empty()) return watch_error_;
                const auto failure = watch.failure();
                return failure.empty() ? "watch: etcd ended the stream" : "watch: the stream broke: " + failure;
            }
            if (own_key_deleted_) {  // someone deleted it while the lease lives on: put it back
                own_key_deleted_ = false;
                if (auto error = announce(); !error.empty()) return error;
            }
            if (Clock::now() >= next_keep_alive) {
                if (auto error = keep_alive(); !error.empty()) return error;
                if (lease_ == 0) return "the lease expired: announcing again with a new one";
                next_keep_alive = Clock::now() + keep_alive_every_;
            }
        }
    }

    // Renews the lease. Returns an error if etcd could not be asked; sets lease_ to 0 if etcd no longer knows it.
    std::string keep_alive() {
        auto reply = call("lease/keepalive", {{"ID", std::to_string(lease_)}}, request_timeout, Interrupt::OnStop);
        if (reply.code == grpc_not_found) {
            lease_ = 0;
            return {};
        }
        if (!reply.error.empty()) return reply.error;
        const auto result = reply.body.find("result");
        if (result == reply.body.end() || integer(*result, "TTL") <= 0) lease_ = 0;  // TTL 0: expired
        return {};
    }

    // Puts this node's key, bound to the lease.
    std::string announce() {
        const Json put{
            {"key", base64_encode(key_)}, {"value", base64_encode(value_)}, {"lease", std::to_string(lease_)}};
        auto reply = call("kv/put", put, request_timeout, Interrupt::OnStop);
        if (reply.code == grpc_not_found) lease_ = 0;  // the lease expired between the grant (or renewal) and the put
        return reply.error;
    }

    Reply call(const std::string& method, const Json& request, milliseconds timeout, Interrupt interrupt) {
        Transfer transfer{endpoint() + "/v3/" + method, request.dump(), timeout};
        transfer.add_to(multi_);
        pump(Clock::time_point::max(), interrupt, [&] { return transfer.done(); });
        if (!transfer.done()) return {{}, "stopped", 0};
        if (auto failure = transfer.failure(); !failure.empty()) {
            return {{}, method + ": " + failure, transfer.refusal()};
        }
        Json body = Json::parse(transfer.received, nullptr, false);
        if (body.is_discarded() || !body.is_object()) return {{}, method + ": the answer is not a JSON object", 0};
        if (auto error = body.find("error"); error != body.end()) {
            return {{}, method + ": " + error_text(*error), error_code(body)};
        }
        return {std::move(body), {}, 0};
    }

    // Runs the transfers on the multi handle until `done()`, `until`, or (if `interrupt` allows) stop().
    template <class Done>
    void pump(Clock::time_point until, Interrupt interrupt, Done done) {
        for (;;) {
            int running = 0;
            curl_multi_perform(multi_, &running);
            int left = 0;
            while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
                if (message->msg != CURLMSG_DONE) continue;
                Transfer* transfer = nullptr;
                curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
                if (transfer != nullptr) transfer->finish(message->data.result);
            }
            if (done() || (interrupt == Interrupt::OnStop && stopping_.load())) return;
            const auto now = Clock::now();
            if (now >= until) return;
            // curl shortens the wait to its own next timeout; stop() cuts it short with curl_multi_wakeup.
            const auto wait = std::chrono::duration_cast<milliseconds>(until - now).count() + 1;
            curl_multi_poll(multi_, nullptr, 0, static_cast<int>(std::min<std::int64_t>(wait, 1000)), nullptr);
        }
    }

    // One message of the watch stream; false ends the stream, with watch_error_ saying why.
    bool on_watch_line(std::string_view line) {
        try {
            const Json message = Json::parse(line, nullptr, false);
            if (message.is_discarded() || !message.is_object()) {
                watch_error_ = "watch: a message that is not JSON";
                return false;
            }
            if (auto error = message.find("error"); error != message.end()) {
                watch_error_ = "watch: " + error_text(*error);
                return false;
            }
            const auto result = message.find("result");
            if (result == message.end() || !result->is_object()) return true;
            if (auto canceled = result->find("canceled"); canceled != result->end() && canceled->is_boolean() &&
                                                          canceled->get<bool>()) {
                const auto compacted = integer(*result, "compact_revision");
                watch_error_ = compacted != 0 ? "watch: the history was compacted (to revision " +
                                                    std::to_string(compacted) + ")"
                                              : "watch: cancelled by etcd";
                return false;
            }
            const auto events = result->find("events");
            if (events == result->end() || !events->is_array()) return true;
            std::lock_guard guard{view_lock_};
            for (const Json& event : *events) {
                const auto kv = event.find("kv");
                if (kv == event.end()) continue;
                const auto type = event.find("type");
                if (type != event.end() && type->is_string() && type->get<std::string>() == "DELETE") {
                    const auto key_field = kv->find("key");
                    if (key_field == kv->end() || !key_field->is_string()) continue;
                    const auto key = base64_decode(key_field->get<std::string>());
                    if (!key) continue;
                    view_.erase(*key);
                    if (*key == key_) own_key_deleted_ = true;
                } else if (auto entry = advert_of(*kv)) {
                    view_.insert_or_assign(std::move(entry->first), std::move(entry->second));
                }
            }
            return true;
        } catch (const Json::exception& error) {
            watch_error_ = std::string{"watch: a malformed message: "} + error.what();
            return false;
        }
    }

    // A key-value of etcd's as (key, the advert it holds); nothing if it is not a node's advert, reported once per key.
    std::optional<std::pair<std::string, Advert>> advert_of(const Json& kv) {
        const auto key_field = kv.find("key");
        if (key_field == kv.end() || !key_field->is_string()) return std::nullopt;
        auto key = base64_decode(key_field->get<std::string>());
        if (!key) return std::nullopt;
        const auto value_field = kv.find("value");
        const auto value = value_field != kv.end() && value_field->is_string()
                               ? base64_decode(value_field->get<std::string>())
                               : std::nullopt;
        const Json advert = value ? Json::parse(*value, nullptr, false) : Json{};
        const auto name = advert.is_object() ? advert.find("name") : advert.end();
        const auto address = advert.is_object() ? advert.find("address") : advert.end();
        const auto incarnation = advert.is_object() ? advert.find("incarnation") : advert.end();
        if (!advert.is_object() || name == advert.end() || !name->is_string() || address == advert.end() ||
            !address->is_string() || (incarnation != advert.end() && !incarnation->is_number_unsigned())) {
            if (malformed_.insert(*key).second) {
                std::cerr << "bastion: etcd: ignoring " << *key
                          << ": not a node's advert ({name, address, incarnation})\n";
            }
            return std::nullopt;
        }
        Advert out{name->get<std::string>(), address->get<std::string>(),
                   incarnation == advert.end() ? 0 : incarnation->get<std::uint64_t>()};
        return std::pair{std::move(*key), std::move(out)};
    }

    // Errors are reported once per change of state, not once per retry: an endpoint's failure when it differs from the
    // last one reported for that endpoint (the endpoints are tried in turn, and each may fail its own way).
    void report_failure(const std::string& why) {
        std::string& last = failures_[endpoint_];
        if (why == last) return;
        last = why;
        std::cerr << "bastion: etcd: " << endpoint() << ": " << why << " (retrying, backing off up to "
                  << backoff_cap.count() << " ms)\n";
    }
    void report_recovery() {
        const bool failing = std::any_of(failures_.begin(), failures_.end(), [](const auto& f) { return !f.empty(); });
        if (!failing) return;  // fine all along
        for (auto& failure : failures_) failure.clear();
        std::size_t listed = 0;
        {
            std::lock_guard guard{view_lock_};
            listed = view_.size();
        }
        std::cerr << "bastion: etcd: " << endpoint() << ": back; " << listed << (listed == 1 ? " node" : " nodes")
                  << " listed under " << config_.prefix << '\n';
    }

    const Etcd config_;
    const std::string range_end_;
    CURLM* multi_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::mutex stop_lock_;
    std::thread thread_;

    // Set by start(), then read by the thread only.
    std::string key_;
    std::string value_;
    // The thread's own.
    std::size_t endpoint_ = 0;
    std::int64_t lease_ = 0;
    milliseconds keep_alive_every_{1000};
    std::string watch_error_;
    bool own_key_deleted_ = false;
    std::vector<std::string> failures_;  // by endpoint: the failure last reported; empty while all is well
    std::set<std::string> malformed_;

    std::mutex view_lock_;
    std::map<std::string, Advert> view_;  // by key
};

}  // namespace

std::unique_ptr<Discovery> make_etcd_discovery(const Etcd& etcd) { return std::make_unique<EtcdDiscovery>(etcd); }

}  // namespace bastion::distributed::detail
