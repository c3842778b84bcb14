// Discovery through zeroconf: DNS-SD over multicast DNS, spoken through the Avahi daemon's client library (which talks
// to avahi-daemon over the system D-Bus; the daemon does the multicast).
//
// The node publishes one service of the configured type, named after the node (Avahi's alternative name, `a #2`, if
// that name is taken), with TXT records `name` and `incarnation` and the port of its listen address; the host's address
// records are the daemon's. It browses the type and resolves every service found (each interface and protocol on its
// own, to an address of that protocol), keeping a resolver open so a change of address or TXT is seen; the view is
// every resolved service as (TXT name, "ip:port", TXT incarnation). A service the browser reports removed leaves the
// view: a node that exits is withdrawn at once by its daemon, which multicasts a goodbye.
//
// Failures: the daemon going away puts the client in AVAHI_CLIENT_FAILURE; the provider then frees it and makes a new
// one with AVAHI_CLIENT_NO_FAIL, which waits (AVAHI_CLIENT_CONNECTING) until a daemon owns its D-Bus name again, then
// publishes and browses anew. A D-Bus that cannot be reached, a browser or resolver that fails, a group that cannot be
// published are retried every `retry_interval`. A name collision (another service of this name on the network) renames
// the service and publishes it again. Each problem is reported on stderr once, when it differs from the last one.
//
// Threads: libavahi-client is not thread-safe, so everything it owns lives on an AvahiThreadedPoll, a thread of the
// provider's own (it may block on D-Bus, so it is never an executor worker). Avahi calls back on that thread with the
// poll's lock held; stop() takes that lock before touching anything. The view is the only state shared with the node's
// maintainer (under view_lock_); everything else belongs to the poll thread.

#include "distributed/discovery.hpp"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>

#include <net/if.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace bastion::distributed::detail {

namespace {

// How long the provider waits before trying again what failed (reaching the D-Bus, creating a browser or resolver,
// publishing). A daemon that comes back is noticed at once through D-Bus (NameOwnerChanged), not through this timer;
// a resolver gives up after about 5 s of silence, so a vanished host is asked about every ~6 s, which no LAN notices.
constexpr std::chrono::milliseconds retry_interval{1000};
// An instance name is one DNS label: at most 63 bytes (RFC 6763 section 4.1.1).
constexpr std::size_t max_instance_name = 63;

std::string error_text(int error) { return avahi_strerror(error); }

// The node's name cut to one DNS label, without splitting a UTF-8 sequence.
std::string instance_name(const std::string& node_name) {
    if (node_name.size() <= max_instance_name) return node_name;
    std::size_t size = max_instance_name;
    while (size > 0 && (static_cast<unsigned char>(node_name[size]) & 0xc0) == 0x80) --size;  // a continuation byte
    return node_name.substr(0, size);
}

// The port of `host:port` or `[v6]:port`; 0 if there is none.
std::uint16_t port_of(const std::string& address) {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos) return 0;
    std::uint16_t port = 0;
    const char* first = address.data() + colon + 1;
    const char* last = address.data() + address.size();
    const auto [end, ec] = std::from_chars(first, last, port);
    return ec == std::errc{} && end == last ? port : 0;
}

std::string interface_name(AvahiIfIndex interface) {
    char name[IF_NAMESIZE] = {};
    if (interface >= 0 && if_indextoname(static_cast<unsigned>(interface), name) != nullptr) return name;
    return "interface " + std::to_string(interface);
}

// The value of the TXT record `key=value`, if the list holds one.
std::optional<std::string> txt_value(AvahiStringList* txt, const char* key) {
    AvahiStringList* item = avahi_string_list_find(txt, key);
    if (item == nullptr) return std::nullopt;
    char* found_key = nullptr;
    char* value = nullptr;
    std::size_t size = 0;
    if (avahi_string_list_get_pair(item, &found_key, &value, &size) < 0) return std::nullopt;
    std::string text = value != nullptr ? std::string(value, size) : std::string{};
    avahi_free(found_key);
    avahi_free(value);
    return text;
}

// An IPv6 link-local address (fe80::/10) needs its interface to be dialed, which io::SocketAddr cannot carry.
bool link_local_v6(const AvahiAddress& address) {
    return address.proto == AVAHI_PROTO_INET6 && address.data.ipv6.address[0] == 0xfe &&
           (address.data.ipv6.address[1] & 0xc0) == 0x80;
}

class ZeroconfDiscovery final : public Discovery {
public:
    explicit ZeroconfDiscovery(const Zeroconf& config) : config_{config} {}
    ZeroconfDiscovery(const ZeroconfDiscovery&) = delete;
    ZeroconfDiscovery& operator=(const ZeroconfDiscovery&) = delete;
    ~ZeroconfDiscovery() override { stop(); }

    // Runs on the caller's thread and never waits on D-Bus: the first connection is made on the poll thread.
    void start(const Advert& self) override {
        std::lock_guard guard{lifecycle_lock_};
        if (poll_ != nullptr || stopped_) return;
        self_ = self;
        service_name_ = instance_name(self.name);
        port_ = port_of(self.address);
        if (port_ == 0) report("cannot publish this node: its address " + self.address + " has no port; browsing only");
        poll_ = avahi_threaded_poll_new();
        if (poll_ == nullptr) {
            report("cannot create Avahi's threaded poll (out of memory?); zeroconf discovery is off");
            return;
        }
        const AvahiPoll* api = avahi_threaded_poll_get(poll_);
        timeval now{};
        retry_ = api->timeout_new(api, avahi_elapse_time(&now, 0, 0), &ZeroconfDiscovery::on_retry, this);
        if (retry_ == nullptr || avahi_threaded_poll_start(poll_) < 0) {
            report("cannot start Avahi's poll thread; zeroconf discovery is off");
            avahi_threaded_poll_free(poll_);  // frees `retry_` with it
            poll_ = nullptr;
            retry_ = nullptr;
        }
    }

    std::vector<Advert> view() override {
        std::lock_guard guard{view_lock_};
        return view_;
    }

    // Frees the client (which withdraws the service: the daemon multicasts its goodbye) and everything it owns under
    // the poll's lock, then ends the poll thread.
    void stop() noexcept override {
        std::lock_guard guard{lifecycle_lock_};
        if (stopped_) return;
        stopped_ = true;
        if (poll_ == nullptr) return;
        avahi_threaded_poll_lock(poll_);
        free_client();
        avahi_threaded_poll_get(poll_)->timeout_free(retry_);
        retry_ = nullptr;
        avahi_threaded_poll_unlock(poll_);
        avahi_threaded_poll_stop(poll_);  // joins the thread; must not hold the lock
        avahi_threaded_poll_free(poll_);
        poll_ = nullptr;
        std::lock_guard view_guard{view_lock_};
        view_.clear();
    }

private:
    // A service the browser reported (one per interface and protocol it was seen on), until it reports it removed.
    struct Key {
        AvahiIfIndex interface;
        AvahiProtocol protocol;
        std::string name;
        std::string type;
        std::string domain;
        auto operator<=>(const Key&) const = default;
    };
    struct Found {
        AvahiServiceResolver* resolver = nullptr;  // null after a failure, until the retry makes a new one
        std::optional<Advert> advert;              // once resolved
    };

    // Avahi's callbacks, all on the poll thread with its lock held.

    static void on_client(AvahiClient* client, AvahiClientState state, void* self) {
        static_cast<ZeroconfDiscovery*>(self)->client_changed(client, state);
    }
    static void on_group(AvahiEntryGroup* group, AvahiEntryGroupState state, void* self) {
        static_cast<ZeroconfDiscovery*>(self)->group_changed(group, state);
    }
    static void on_browse(AvahiServiceBrowser*, AvahiIfIndex interface, AvahiProtocol protocol, AvahiBrowserEvent event,
                          const char* name, const char* type, const char* domain, AvahiLookupResultFlags flags,
                          void* self) {
        static_cast<ZeroconfDiscovery*>(self)->browsed(interface, protocol, event, name, type, domain, flags);
    }
    static void on_resolve(AvahiServiceResolver* resolver, AvahiIfIndex interface, AvahiProtocol,
                           AvahiResolverEvent event, const char* name, const char*, const char*, const char*,
                           const AvahiAddress* address, std::uint16_t port, AvahiStringList* txt, AvahiLookupResultFlags,
                           void* self) {
        static_cast<ZeroconfDiscovery*>(self)->resolved(resolver, interface, event, name, address, port, txt);
    }
    static void on_retry(AvahiTimeout*, void* self) { static_cast<ZeroconfDiscovery*>(self)->retry(); }

    void client_changed(AvahiClient* client, AvahiClientState state) {
        client_ = client;  // the first call comes from inside avahi_client_new, before it returns the pointer
        switch (state) {
            case AVAHI_CLIENT_S_RUNNING:
                if (client_trouble_) {
                    std::cerr << "bastion: zeroconf: back; the Avahi daemon answers\n";
                    client_trouble_ = false;
                    last_report_.clear();
                }
                publish();
                browse();
                break;
            case AVAHI_CLIENT_S_COLLISION:    // the host name is taken: the daemon picks another and registers it,
            case AVAHI_CLIENT_S_REGISTERING:  // and the service goes back up once it runs again
                if (group_ != nullptr) avahi_entry_group_reset(group_);
                published_ = false;
                break;
            case AVAHI_CLIENT_CONNECTING:
                report_client("waiting for the Avahi daemon on the system D-Bus (is avahi-daemon running?)");
                break;
            case AVAHI_CLIENT_FAILURE:
                report_client("lost the Avahi daemon: " + error_text(avahi_client_errno(client)) + "; reconnecting");
                // The client's objects are freed with it, by the retry: freeing it inside its own callback is unsafe.
                forget_client_objects();
                arm_retry(std::chrono::milliseconds{0});
                break;
        }
    }

    void group_changed(AvahiEntryGroup* group, AvahiEntryGroupState state) {
        switch (state) {
            case AVAHI_ENTRY_GROUP_ESTABLISHED:
                if (service_name_ != instance_name(self_.name)) report("published as '" + service_name_ + "'");
                break;
            case AVAHI_ENTRY_GROUP_COLLISION:  // another host publishes a service of this name
                rename();
                avahi_entry_group_reset(group);
                published_ = false;
                publish();
                break;
            case AVAHI_ENTRY_GROUP_FAILURE:
                report("cannot publish '" + service_name_ +
                       "': " + error_text(avahi_client_errno(avahi_entry_group_get_client(group))));
                avahi_entry_group_reset(group);
                published_ = false;
                arm_retry(retry_interval);
                break;
            case AVAHI_ENTRY_GROUP_UNCOMMITED:
            case AVAHI_ENTRY_GROUP_REGISTERING:
                break;
        }
    }

    void browsed(AvahiIfIndex interface, AvahiProtocol protocol, AvahiBrowserEvent event, const char* name,
                 const char* type, const char* domain, AvahiLookupResultFlags flags) {
        switch (event) {
            case AVAHI_BROWSER_NEW: {
                if ((flags & AVAHI_LOOKUP_RESULT_OUR_OWN) != 0) return;  // this node's own service
                auto [entry, added] = found_.try_emplace(Key{interface, protocol, name, type, domain});
                if (entry->second.resolver == nullptr) resolve(entry->first, entry->second);
                break;
            }
            case AVAHI_BROWSER_REMOVE: {
                auto entry = found_.find(Key{interface, protocol, name, type, domain});
                if (entry == found_.end()) return;
                if (entry->second.resolver != nullptr) avahi_service_resolver_free(entry->second.resolver);
                found_.erase(entry);
                publish_view();
                break;
            }
            case AVAHI_BROWSER_FAILURE:
                report("browsing " + config_.service + " failed: " + error_text(avahi_client_errno(client_)) +
                       "; retrying");
                avahi_service_browser_free(browser_);
                browser_ = nullptr;
                free_resolvers();
                arm_retry(retry_interval);
                break;
            case AVAHI_BROWSER_CACHE_EXHAUSTED:
            case AVAHI_BROWSER_ALL_FOR_NOW:
                break;
        }
    }

    void resolved(AvahiServiceResolver* resolver, AvahiIfIndex interface, AvahiResolverEvent event, const char* name,
                  const AvahiAddress* address, std::uint16_t port, AvahiStringList* txt) {
        auto entry = std::find_if(found_.begin(), found_.end(),
                                  [&](const auto& candidate) { return candidate.second.resolver == resolver; });
        if (entry == found_.end()) return;  // cannot happen: a resolver is freed when its entry goes
        Found& found = entry->second;
        if (event == AVAHI_RESOLVER_FAILURE) {
            report("cannot resolve '" + std::string{name} + "' on " + interface_name(interface) + ": " +
                   error_text(avahi_client_errno(client_)) + "; retrying");
            avahi_service_resolver_free(resolver);
            found.resolver = nullptr;
            found.advert.reset();
            publish_view();
            arm_retry(retry_interval);
            return;
        }
        if (link_local_v6(*address)) {  // not dialable here; the same node is normally found over IPv4 as well
            found.advert.reset();
            publish_view();
            return;
        }
        char text[AVAHI_ADDRESS_STR_MAX] = {};
        avahi_address_snprint(text, sizeof text, address);
        Advert advert;
        advert.name = txt_value(txt, "name").value_or(name);
        const bool v6 = address->proto == AVAHI_PROTO_INET6;
        advert.address.append(v6 ? "[" : "").append(text).append(v6 ? "]:" : ":").append(std::to_string(port));
        const std::string incarnation = txt_value(txt, "incarnation").value_or("0");
        std::from_chars(incarnation.data(), incarnation.data() + incarnation.size(), advert.incarnation);
        found.advert = std::move(advert);
        publish_view();
    }

    // Makes again whatever failed: the client (freed first if it failed), the service, the browser, the resolvers.
    void retry() {
        if (client_ != nullptr && avahi_client_get_state(client_) == AVAHI_CLIENT_FAILURE) free_client();
        if (client_ == nullptr) {
            connect();
            return;
        }
        if (avahi_client_get_state(client_) != AVAHI_CLIENT_S_RUNNING) return;  // client_changed carries on
        publish();
        browse();
        for (auto& [key, found] : found_) {
            if (found.resolver == nullptr) resolve(key, found);
        }
    }

    void connect() {
        int error = 0;
        AvahiClient* client = avahi_client_new(avahi_threaded_poll_get(poll_), AVAHI_CLIENT_NO_FAIL,
                                               &ZeroconfDiscovery::on_client, this, &error);
        if (client == nullptr) {
            client_ = nullptr;  // in case a callback saw the client avahi_client_new then freed
            forget_client_objects();
            const char* bus = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
            report_client("cannot reach the system D-Bus (" +
                          std::string{bus != nullptr ? bus : "unix:path=/run/dbus/system_bus_socket"} +
                          "): " + error_text(error) + "; retrying");
            arm_retry(retry_interval);
            return;
        }
        client_ = client;
    }

    void publish() {
        if (port_ == 0 || published_ || client_ == nullptr) return;
        if (group_ == nullptr) {
            group_ = avahi_entry_group_new(client_, &ZeroconfDiscovery::on_group, this);
            if (group_ == nullptr) {
                report("cannot create an entry group: " + error_text(avahi_client_errno(client_)) + "; retrying");
                arm_retry(retry_interval);
                return;
            }
        }
        const std::string name_record = "name=" + self_.name;
        const std::string incarnation_record = "incarnation=" + std::to_string(self_.incarnation);
        int result = AVAHI_OK;
        // A local collision (this daemon already publishes the name) is known at once; another host's shows up later
        // as AVAHI_ENTRY_GROUP_COLLISION. A few renames settle any real clash; more means something else is wrong.
        for (int attempt = 0; attempt < 16; ++attempt) {
            result = avahi_entry_group_add_service(group_, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags{},
                                                   service_name_.c_str(), config_.service.c_str(), domain(), nullptr,
                                                   port_, name_record.c_str(), incarnation_record.c_str(), nullptr);
            if (result != AVAHI_ERR_COLLISION) break;
            rename();
        }
        if (result == AVAHI_OK) result = avahi_entry_group_commit(group_);
        if (result != AVAHI_OK) {
            report("cannot publish '" + service_name_ + "' as " + config_.service + ": " + error_text(result) +
                   "; retrying");
            avahi_entry_group_reset(group_);
            arm_retry(retry_interval);
            return;
        }
        published_ = true;
    }

    void browse() {
        if (browser_ != nullptr || client_ == nullptr) return;
        browser_ = avahi_service_browser_new(client_, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, config_.service.c_str(),
                                             domain(), AvahiLookupFlags{}, &ZeroconfDiscovery::on_browse, this);
        if (browser_ == nullptr) {
            report("cannot browse " + config_.service + ": " + error_text(avahi_client_errno(client_)) + "; retrying");
            arm_retry(retry_interval);
        }
    }

    // Resolves to an address of the protocol the service was seen on (IPv4 for an mDNS answer over IPv4).
    void resolve(const Key& key, Found& found) {
        found.resolver = avahi_service_resolver_new(client_, key.interface, key.protocol, key.name.c_str(),
                                                    key.type.c_str(), key.domain.c_str(), key.protocol,
                                                    AvahiLookupFlags{}, &ZeroconfDiscovery::on_resolve, this);
        if (found.resolver == nullptr) {
            report("cannot resolve '" + key.name + "': " + error_text(avahi_client_errno(client_)) + "; retrying");
            arm_retry(retry_interval);
        }
    }

    void rename() {
        char* next = avahi_alternative_service_name(service_name_.c_str());
        if (next == nullptr) return;  // out of memory: the same name again
        report("the service name '" + service_name_ + "' is taken; trying '" + next + "'");
        service_name_ = next;
        avahi_free(next);
    }

    void free_resolvers() {
        for (auto& [key, found] : found_) {
            if (found.resolver != nullptr) avahi_service_resolver_free(found.resolver);
        }
        found_.clear();
        publish_view();
    }

    // The client failed: its group, browser and resolvers are still its own and go with it (avahi_client_free).
    void forget_client_objects() {
        group_ = nullptr;
        browser_ = nullptr;
        published_ = false;
        found_.clear();
        publish_view();
    }

    void free_client() {
        if (client_ == nullptr) return;
        avahi_client_free(client_);  // frees the entry group (withdrawing the service), the browser and the resolvers
        client_ = nullptr;
        forget_client_objects();
    }

    void arm_retry(std::chrono::milliseconds delay) {
        if (retry_ == nullptr) return;
        timeval when{};
        avahi_threaded_poll_get(poll_)->timeout_update(
            retry_, avahi_elapse_time(&when, static_cast<unsigned>(delay.count()), 0));
    }

    const char* domain() const { return config_.domain.empty() ? nullptr : config_.domain.c_str(); }

    void publish_view() {
        std::vector<Advert> adverts;
        for (const auto& [key, found] : found_) {
            if (!found.advert) continue;
            const bool seen = std::any_of(adverts.begin(), adverts.end(), [&](const Advert& advert) {
                return advert.name == found.advert->name && advert.address == found.advert->address;
            });
            if (!seen) adverts.push_back(*found.advert);
        }
        std::lock_guard guard{view_lock_};
        view_ = std::move(adverts);
    }

    // Once per state change: a problem is printed when it differs from the last one printed.
    void report(const std::string& line) {
        if (line == last_report_) return;
        last_report_ = line;
        std::cerr << "bastion: zeroconf: " << line << '\n';
    }
    // A problem with the daemon or the bus, whose end is reported too ("back").
    void report_client(const std::string& line) {
        client_trouble_ = true;
        report(line);
    }

    const Zeroconf config_;
    std::mutex lifecycle_lock_;  // start() against stop()
    bool stopped_ = false;       // under lifecycle_lock_
    AvahiThreadedPoll* poll_ = nullptr;

    // The poll thread's (or start's before the thread runs, stop's under the poll's lock).
    Advert self_;
    std::string service_name_;
    std::uint16_t port_ = 0;
    AvahiTimeout* retry_ = nullptr;
    AvahiClient* client_ = nullptr;
    AvahiEntryGroup* group_ = nullptr;
    bool published_ = false;  // the group holds the service and is committed
    AvahiServiceBrowser* browser_ = nullptr;
    std::map<Key, Found> found_;
    std::string last_report_;
    bool client_trouble_ = false;

    std::mutex view_lock_;
    std::vector<Advert> view_;
};

}  // namespace

std::unique_ptr<Discovery> make_zeroconf_discovery(const Zeroconf& zeroconf) {
    return std::make_unique<ZeroconfDiscovery>(zeroconf);
}

}  // namespace bastion::distributed::detail
