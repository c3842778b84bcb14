#include "distributed/node.hpp"

#include <bastion/distributed/cluster.hpp>
#include <bastion/executor/this_proc.hpp>

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>

namespace bastion::distributed::detail {

namespace {

std::uint64_t fresh_incarnation() {
    std::random_device device;
    std::uint64_t value = 0;
    while (value == 0) value = (std::uint64_t{device()} << 32) ^ device();
    return value;
}

std::string payload_name(const std::type_info& type) {
    if (type == typeid(const char*) || type == typeid(char*)) return "const char* (send a std::string instead)";
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> readable{abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                   std::free};
    return status == 0 ? readable.get() : type.name();
}

// Writes `letter`'s payload as `type, value`; false if its type has no wire form. Call inside a WireScope, under the
// peer's out_lock (it keeps the last type looked up).
bool pack_payload(Peer& peer, FrameWriter& out, bastion::detail::Letter& letter) {
    if (peer.last_type == nullptr || *peer.last_type != *letter.type) {
        peer.last_wire = find_wire_type(*letter.type);
        peer.last_type = letter.type;
    }
    const WireType* wire = peer.last_wire;
    if (wire == nullptr) return false;
    out.packer().pack(wire->name);
    wire->pack(out.packer(), letter.payload());
    return true;
}

// The path of a child whose supervisors and group have the ids in `chain`.
std::optional<BastionPath> child_path(std::span<const BastionId> chain, const BastionId& id) {
    std::optional<BastionPath> path = BastionPath::root();
    for (std::size_t i = 0; path && i + 1 < chain.size(); ++i) path = path->append(BastionPathElement::Supervisor(chain[i]));
    if (path) path = path->append(BastionPathElement::Children(chain.back()));
    if (path) path = path->append(BastionPathElement::Child(id));
    return path;
}

}  // namespace

// Addresses inside messages: while a node encodes or decodes a payload on this thread, it is the one whose tables an
// address is written with or resolved against. Encoding and decoding never suspend, so the pointer cannot follow a
// lightproc to another thread.

namespace {
thread_local Node* wire_node = nullptr;

// Makes `node` the wire node for the scope.
class WireScope {
public:
    explicit WireScope(Node& node) noexcept : previous_{std::exchange(wire_node, &node)} {}
    WireScope(const WireScope&) = delete;
    WireScope& operator=(const WireScope&) = delete;
    ~WireScope() { wire_node = previous_; }

private:
    Node* previous_;
};
}  // namespace

void pack_address(Packer& packer, const RefAddr& addr) {
    if (wire_node == nullptr) throw msgpack::type_error{};  // an address means nothing outside a node's frame
    wire_node->pack_ref(packer, addr);
}

RefAddr unpack_address(const msgpack::object& object) {
    if (wire_node == nullptr) throw msgpack::type_error{};
    auto ref = decode_ref(object);
    return ref ? wire_node->resolve(*ref) : RefAddr{};
}

// Link

void Link::close() noexcept {
    if (closed.exchange(true, std::memory_order_acq_rel)) return;
    {
        std::lock_guard guard{handles_lock};
        if (reader.valid()) reader.cancel();
    }
    wake();
}

void Link::wake() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with WakeSlot::arm
    writer_wake.wake();
}

// Peer

LetterPtr Peer::send(const ActorCell& to, std::uint64_t expected, LetterPtr letter) noexcept {
    if (incarnation.load(std::memory_order_acquire) != expected) return letter;  // that run of the node is gone
    const bool is_ask = letter->kind == bastion::detail::MessageKind::Ask;
    std::shared_ptr<Link> wake;
    {
        std::lock_guard guard{out_lock};
        const std::shared_ptr<Node> owner = node.lock();
        if (!accepting || !owner) return letter;
        WireScope scope{*owner};
        const std::size_t start = out.size();
        std::uint64_t request = 0;
        try {
            if (is_ask) {
                request = next_request++;
                out.begin(FrameKind::Ask, 5).pack(request);
            } else {
                out.begin(FrameKind::Tell, 4);
            }
            out.pack_id(to.id);
            owner->pack_ref(out.packer(), letter->sign);
            if (*letter->type == typeid(Terminated)) {
                const auto& notice = *static_cast<const Terminated*>(letter->payload());
                pack_death_notice(out, notice.actor.id(), static_cast<std::uint8_t>(notice.reason));
            } else if (!pack_payload(*this, out, *letter)) {
                out.truncate(start);
                owner->report("cannot send a " + payload_name(*letter->type) + " to " + name +
                            ": the type is not a remote message (BASTION_REMOTE_MESSAGE); it was handed back");
                return letter;
            }
            if (out.size() - start - 4 > owner->config.max_frame_size) {  // the receiver would drop the whole link
                out.truncate(start);
                owner->report("cannot send a " + payload_name(*letter->type) + " to " + name + ": it encodes to more than " +
                            "max_frame_size (" + std::to_string(owner->config.max_frame_size) + " bytes); it was handed back");
                return letter;
            }
            out.end();
        } catch (const std::exception& error) {
            out.truncate(start);
            owner->report("cannot encode a message for " + name + ": " + error.what());
            return letter;
        }
        if (is_ask) pending.emplace(request, std::move(letter->answer));
        wake = current;
    }
    if (wake) wake->wake();
    return nullptr;  // the letter is on its way; dropping it here drops the local copy only
}

LetterPtr Peer::send_reply(std::uint64_t request, LetterPtr reply) noexcept {
    std::shared_ptr<Link> wake;
    {
        std::lock_guard guard{out_lock};
        const std::shared_ptr<Node> owner = node.lock();
        if (!accepting || !owner) return reply;
        WireScope scope{*owner};
        const std::size_t start = out.size();
        try {
            out.begin(FrameKind::Reply, 4).pack(request);
            owner->pack_ref(out.packer(), reply->sign);
            const char* refused = nullptr;  // why the asker gets a NoReply instead
            if (!pack_payload(*this, out, *reply)) {
                refused = "the reply's type is not a remote message (BASTION_REMOTE_MESSAGE)";
            } else if (out.size() - start - 4 > owner->config.max_frame_size) {
                refused = "the reply encodes to more than max_frame_size";
            }
            if (refused != nullptr) {
                out.truncate(start);
                owner->report("cannot answer " + name + " with a " + payload_name(*reply->type) + ": " + refused);
                write_no_reply(out, request, refused);
            } else {
                out.end();
                reply.reset();
            }
            wake = current;
        } catch (const std::exception& error) {
            out.truncate(start);
            owner->report("cannot encode a reply for " + name + ": " + error.what());
        }
    }
    if (wake) wake->wake();
    return reply;
}

void Peer::send_no_reply(std::uint64_t request, std::string_view reason) noexcept {
    try {
        (void)post([&](FrameWriter& out) { write_no_reply(out, request, reason); });
    } catch (const std::exception&) {  // out of memory: the asker times out instead
    }
}

bool Peer::send_lookup(const std::string& actor_name, std::shared_ptr<AnswerState> answer) {
    return post([&](FrameWriter& out) {
        const std::uint64_t request = next_request++;
        out.begin(FrameKind::Lookup, 2).pack(request).pack(actor_name);
        out.end();
        pending.emplace(request, std::move(answer));
    });
}

void Peer::send_monitor(const ActorCell& proxy, std::uint64_t expected, const RefAddr& watcher) noexcept {
    const std::shared_ptr<Node> owner = node.lock();
    if (!owner) return;  // the system this node served has stopped: no actor is left to be told
    std::shared_ptr<ActorCell> actor;
    {
        std::lock_guard guard{owner->lock_};
        if (auto found = proxies.find(proxy.id); found != proxies.end()) actor = found->second.lock();
    }
    if (!actor) return;  // cannot happen: the caller holds a ref to the proxy
    bool posted = false;
    if (incarnation.load(std::memory_order_acquire) == expected) {
        try {
            posted = post([&](FrameWriter& out) {
                out.begin(FrameKind::Monitor, 2);
                out.pack_id(proxy.id);
                owner->pack_ref(out.packer(), watcher);
                out.end();
                watches.push_back({actor, watcher});
            });
        } catch (const std::exception&) {
        }
    }
    if (!posted) (void)bastion::detail::tell(watcher.cell(), RefAddr{actor}, Terminated{ChildRef{actor}, ExitReason::NodeDown});
}

void Peer::renew_watches() noexcept {
    const std::shared_ptr<Node> owner = node.lock();
    if (!owner) return;
    try {
        (void)post([&](FrameWriter& out) {
            for (const Watch& watch : watches) {
                out.begin(FrameKind::Monitor, 2);
                out.pack_id(watch.actor->id);
                owner->pack_ref(out.packer(), watch.watcher);
                out.end();
            }
        });
    } catch (const std::exception&) {  // out of memory: those watches wait for the member to go Down
    }
}

void Peer::deliver_terminated(const BastionId& actor, const std::shared_ptr<ActorCell>& watcher, ExitReason reason) {
    std::shared_ptr<ActorCell> proxy;
    {
        std::lock_guard guard{out_lock};
        auto found = std::find_if(watches.begin(), watches.end(), [&](const Watch& watch) {
            return watch.actor->id == actor && watch.watcher.cell() == watcher;
        });
        if (found == watches.end()) return;
        proxy = std::move(found->actor);
        watches.erase(found);
    }
    (void)bastion::detail::tell(watcher, RefAddr{proxy}, Terminated{ChildRef{proxy}, reason});
}

void Peer::fail_watches() noexcept {
    std::vector<Watch> failed;
    {
        std::lock_guard guard{out_lock};
        failed.swap(watches);
    }
    for (const Watch& watch : failed) {
        (void)bastion::detail::tell(watch.watcher.cell(), RefAddr{watch.actor},
                                    Terminated{ChildRef{watch.actor}, ExitReason::NodeDown});
    }
}

std::shared_ptr<AnswerState> Peer::take_pending(std::uint64_t request) {
    std::lock_guard guard{out_lock};
    auto found = pending.find(request);
    if (found == pending.end()) return nullptr;
    auto state = std::move(found->second);
    pending.erase(found);
    return state;
}

void Peer::fail_pending() noexcept {
    std::unordered_map<std::uint64_t, std::shared_ptr<AnswerState>> failed;
    {
        std::lock_guard guard{out_lock};
        failed.swap(pending);
        out.clear();
    }
    for (auto& [request, state] : failed) {
        if (state) state->abandon();
    }
}

// ForwardedAnswer

LetterPtr ForwardedAnswer::fulfil(LetterPtr reply) noexcept {
    if (done_.exchange(true)) return reply;
    auto asker = asker_.lock();
    if (!asker) return reply;
    return asker->send_reply(request_, std::move(reply));
}

void ForwardedAnswer::abandon() noexcept {
    if (done_.exchange(true)) return;
    if (auto asker = asker_.lock()) asker->send_no_reply(request_, "the ask was not answered");
}

// Node

namespace {
std::mutex current_lock;
std::weak_ptr<Node> current_node;
}  // namespace

std::shared_ptr<Node> Node::current() {
    std::lock_guard guard{current_lock};
    auto node = current_node.lock();
    if (node && node->system.lock() != bastion::detail::current_system()) return nullptr;  // an earlier system's
    return node;
}

void Node::set_current(const std::shared_ptr<Node>& node) {
    std::lock_guard guard{current_lock};
    current_node = node;
}

std::string Node::local_name() {
    auto node = current();
    return node ? node->name : std::string{};
}

Node::Node(ClusterConfig config_, std::shared_ptr<bastion::detail::System> system_,
           io::Handle<io::TcpListener> listener, std::string address_)
    : config{std::move(config_)},
      system{system_},
      address{std::move(address_)},
      name{config.node_name.empty() ? address : config.node_name},
      incarnation{fresh_incarnation()},
      listener_{std::move(listener)},
      discoveries_{make_discoveries(config)} {}

Node::~Node() = default;

template <class F>
void Node::spawn(F&& fn) {
    if (auto sys = system.lock()) (void)sys->executor->spawn(std::forward<F>(fn));
}

void Node::report(const std::string& line) const { std::cerr << "bastion: node " << name << ": " << line << '\n'; }

void Node::start() {
    auto sys = system.lock();
    auto self = shared_from_this();
    for (const auto& provider : discoveries_) provider->start(Advert{name, address, incarnation});
    sys->routes.set_observer(self);
    acceptor_ = sys->executor->spawn([self] { self->accept_loop(); });
    maintainer_ = sys->executor->spawn([self] { self->maintain(); });
}

void Node::accept_loop() {
    for (;;) {
        auto accepted = listener_.accept();
        if (accepted.is_err()) {
            if (leaving_) return;
            report("accept failed: " + accepted.unwrap_err().message());
            executor::this_proc::sleep_for(config.heartbeat_interval);
            continue;
        }
        auto stream = std::move(accepted).unwrap().first;
        auto self = shared_from_this();
        spawn([self, stream = std::move(stream)]() mutable { self->handshake(std::move(stream), false, nullptr); });
    }
}

void Node::maintain() {
    for (;;) {
        const auto now = Clock::now();
        std::vector<std::pair<std::shared_ptr<Peer>, std::string>> to_dial;
        {
            std::lock_guard guard{lock_};
            if (leaving_) return;
            for (auto& [peer_name, peer] : peers_) {
                if (peer->left || peer->address.empty() || peer->link || peer->dialing) continue;
                const auto silent = now - peer->last_heard.load(std::memory_order_relaxed);
                if (peer->state != MemberState::Down && silent > config.heartbeat_timeout) mark_down(*peer, false);
                // The smaller name dials a known member; a Down one is retried slowly, so a healed partition rejoins.
                if (name < peer->name && now >= peer->next_dial) {
                    peer->dialing = true;
                    to_dial.emplace_back(peer, peer->address);
                }
            }
        }
        // What the providers know and this node is not linked to yet. A named advert becomes a known member, dialed
        // by the rule above (the smaller name dials, backing off); a seed has only an address, and is dialed as such.
        for (const auto& provider : discoveries_) {
            for (const Advert& advert : provider->view()) {
                std::lock_guard guard{lock_};
                if (!advert.name.empty()) {
                    if (advert.name == name) continue;
                    auto peer = peer_named(advert.name);
                    if (peer->link || peer->dialing) continue;
                    if (peer->left && advert.incarnation == peer->incarnation) continue;  // gone, until it restarts
                    peer->left = false;
                    peer->address = advert.address;
                    if (peer->last_heard.load() == Clock::time_point{}) peer->last_heard = now;
                    continue;
                }
                const std::string& target = advert.address;
                if (advert.name == name || target == address || target.empty() || seeds_dialing_.contains(target) ||
                    std::find(self_addresses_.begin(), self_addresses_.end(), target) != self_addresses_.end()) {
                    continue;
                }
                const bool linked = std::any_of(peers_.begin(), peers_.end(), [&](const auto& entry) {
                    const Peer& peer = *entry.second;
                    return (peer.address == target || peer.name == advert.name) && (peer.link || peer.dialing);
                });
                if (linked) continue;
                seeds_dialing_.insert(target);
                to_dial.emplace_back(nullptr, target);
            }
        }
        for (auto& [peer, target] : to_dial) {
            auto self = shared_from_this();
            spawn([self, peer, target] { self->dial(peer, target); });
        }
        executor::this_proc::sleep_for(config.heartbeat_interval);
    }
}

void Node::dial(std::shared_ptr<Peer> peer, std::string target) {
    struct SeedDialed {  // a seed may be dialed again once this attempt is over, however it ends
        Node& node;
        const std::string& seed;
        bool is_seed;
        ~SeedDialed() {
            if (!is_seed) return;
            std::lock_guard guard{node.lock_};
            node.seeds_dialing_.erase(seed);
        }
    } seed_dialed{*this, target, peer == nullptr};
    auto connected = io::Handle<io::TcpStream>::connect(io::SocketAddr{target}, config.heartbeat_timeout);
    if (connected.is_err()) {
        if (peer) {
            std::lock_guard guard{lock_};
            peer->dialing = false;
            const auto cap = peer->state == MemberState::Down ? config.heartbeat_timeout : config.heartbeat_interval * 4;
            peer->backoff = std::min<std::chrono::milliseconds>(
                std::max(peer->backoff * 2, config.heartbeat_interval), cap);
            peer->next_dial = Clock::now() + peer->backoff;
        }
        return;
    }
    handshake(std::move(connected).unwrap(), true, peer);
}

void Node::handshake(io::Handle<io::TcpStream> stream, bool dialed, std::shared_ptr<Peer> expected) {
    auto done_dialing = [&] {
        if (!expected) return;
        std::lock_guard guard{lock_};
        expected->dialing = false;
    };
    (void)stream.set_nodelay(true);
    FrameWriter hello;
    hello.begin(FrameKind::Hello, 5).pack(protocol_version).pack(config.cluster).pack(name).pack(incarnation).pack(
        address);
    hello.end();
    if (dialed && stream.write_all(io::ConstBuffer{hello.data(), hello.size()}, config.heartbeat_timeout).is_err()) {
        done_dialing();
        return;
    }
    FrameReader reader{config.max_frame_size};
    std::optional<Frame> frame;
    const auto deadline = Clock::now() + config.heartbeat_timeout;
    try {
        while (!frame) {
            if (auto body = reader.next()) {
                frame = decode_frame(*body);
                break;
            }
            const auto left = std::chrono::duration_cast<io::Timeout>(deadline - Clock::now());
            if (left <= io::Timeout::zero()) throw FrameError{"no Hello within the heartbeat timeout"};
            auto space = reader.space();
            auto got = stream.read(io::MutableBuffer{space.data(), space.size()}, left);
            if (got.is_err()) throw FrameError{got.unwrap_err().message()};
            if (got.unwrap() == 0) throw FrameError{"closed before its Hello"};
            reader.commit(got.unwrap());
        }
    } catch (const FrameError& error) {
        done_dialing();
        if (dialed) report("handshake with " + (expected ? expected->name : std::string{"a seed"}) + " failed: " + error.what());
        return;
    }
    const auto* theirs = std::get_if<Hello>(&frame->body);
    if (theirs == nullptr) {
        done_dialing();
        report("a connection opened with something other than Hello: closed");
        return;
    }
    if (theirs->cluster != config.cluster || theirs->version != protocol_version) {
        done_dialing();
        report("refused " + std::string{theirs->node} + ": cluster \"" + std::string{theirs->cluster} +
               "\", protocol " + std::to_string(theirs->version));
        return;
    }
    if (theirs->node == name && theirs->incarnation != incarnation) {
        // Another node with this name: both sides say so (the acceptor answers its Hello first), and neither links.
        done_dialing();
        report("refused a link with " + std::string{theirs->address} + ", which is also called \"" + name +
               "\": node names must be unique in a cluster");
        if (!dialed) (void)stream.write_all(io::ConstBuffer{hello.data(), hello.size()}, config.heartbeat_timeout);
        return;
    }
    if (theirs->node == name) {  // a seed that is this node
        done_dialing();
        std::lock_guard guard{lock_};
        if (dialed) {
            auto peer_addr = stream.peer_addr();
            if (peer_addr.is_ok()) self_addresses_.push_back(peer_addr.unwrap().to_string());
        }
        return;
    }
    if (!dialed && stream.write_all(io::ConstBuffer{hello.data(), hello.size()}, config.heartbeat_timeout).is_err()) {
        return;
    }
    auto link = std::make_shared<Link>(std::move(stream), dialed ? name : std::string{theirs->node});
    std::shared_ptr<Peer> peer;
    Attached attached = Attached::Refused;
    {
        std::lock_guard guard{lock_};
        if (expected) expected->dialing = false;
        if (!leaving_) attached = attach(*theirs, link, peer);
    }
    if (attached == Attached::Refused) return;
    // What crossed the broken link is gone: its distributor memberships are announced afresh on this one (after the
    // old ones are forgotten, before this link's reader runs) and the watches of its actors are sent again.
    forget_routes(*peer);
    peer->renew_watches();
    auto self = shared_from_this();
    auto sys = system.lock();
    if (!sys) return;
    {
        std::lock_guard guard{link->handles_lock};
        link->writer = sys->executor->spawn([self, peer, link] { self->run_writer(peer, link); });
        link->reader = sys->executor->spawn(
            [self, peer, link, reader = std::move(reader)]() mutable { self->run_reader(peer, link, std::move(reader)); });
        if (link->closed.load(std::memory_order_acquire)) link->reader.cancel();  // closed before the reader existed
    }
    gossip(peer);
    announce_routes(*peer);
    if (attached == Attached::CameUp) {
        auto member = [&] {
            std::lock_guard guard{lock_};  // it guards the address
            return member_of(*peer);
        }();
        notify(MemberUp{std::move(member)});
    }
}

Node::Attached Node::attach(const Hello& hello, const std::shared_ptr<Link>& link, std::shared_ptr<Peer>& peer) {
    peer = peer_named(hello.node);
    const auto now = Clock::now();
    bool came_up = peer->state == MemberState::Down || peer->incarnation != hello.incarnation;
    if (peer->incarnation != hello.incarnation) {
        if (peer->incarnation != 0 && peer->state != MemberState::Down) {
            // The member restarted: everything addressed to its previous run is gone.
            if (peer->link) peer->link->close();
            peer->link.reset();
            mark_down(*peer, true);
        }
        peer->proxies.clear();
        peer->incarnation = hello.incarnation;
    } else if (peer->link && !peer->link->closed.load()) {
        // Two links to the same run (both sides dialed): keep the one dialed by the smaller name, on both sides.
        if (peer->link->dialer < link->dialer) return Attached::Refused;
        peer->link->close();
        came_up = false;
    }
    peer->address = std::string{hello.address};
    peer->left = false;
    peer->link = link;
    peer->last_heard = now;
    peer->backoff = {};
    peer->state = MemberState::Alive;
    {
        std::lock_guard guard{peer->out_lock};
        peer->current = link;
        peer->accepting = true;
    }
    changed_.notify_all();
    return came_up ? Attached::CameUp : Attached::Relinked;
}

std::shared_ptr<Peer> Node::peer_named(std::string_view peer_name) {
    auto found = peers_.find(peer_name);
    if (found != peers_.end()) return found->second;
    auto peer = std::make_shared<Peer>(weak_from_this(), std::string{peer_name});
    peers_.emplace(peer->name, peer);
    return peer;
}

void Node::run_writer(std::shared_ptr<Peer> peer, std::shared_ptr<Link> link) {
    FrameWriter sending;
    auto next_heartbeat = Clock::now() + config.heartbeat_interval;
    for (;;) {
        const bool woken = link->writer_wake.wait_until(next_heartbeat, [&] {
            if (link->closed.load(std::memory_order_acquire)) return true;
            std::lock_guard guard{peer->out_lock};
            return !peer->out.empty();
        });
        if (link->closed.load(std::memory_order_acquire)) break;
        {
            std::lock_guard guard{peer->out_lock};
            if (peer->current != link) break;
            if (!woken && peer->out.empty()) {
                peer->out.begin(FrameKind::Heartbeat, 0);
                peer->out.end();
            }
            sending.swap(peer->out);
        }
        if (!sending.empty()) {
            auto written = link->stream.write_all(io::ConstBuffer{sending.data(), sending.size()});
            sending.clear();
            if (written.is_err()) {
                link_lost(peer, link, written.unwrap_err().message());
                break;
            }
        }
        next_heartbeat = Clock::now() + config.heartbeat_interval;
    }
    link->close();
}

void Node::run_reader(std::shared_ptr<Peer> peer, std::shared_ptr<Link> link, FrameReader reader) {
    const auto half = std::chrono::duration_cast<io::Timeout>(config.heartbeat_timeout) / 2;
    bool suspect = false;
    std::string why;
    try {
        for (;;) {
            while (auto body = reader.next()) {
                Frame frame = decode_frame(*body);
                on_frame(*peer, *link, frame);
                if (std::holds_alternative<Goodbye>(frame.body)) {
                    link->close();
                    return;
                }
            }
            auto space = reader.space();
            auto got = link->stream.read(io::MutableBuffer{space.data(), space.size()}, half);
            if (got.is_err()) {
                if (got.unwrap_err().code() == std::errc::timed_out) {
                    std::lock_guard guard{lock_};
                    if (suspect) {
                        why = "silent for the heartbeat timeout";
                        break;
                    }
                    suspect = true;
                    if (peer->link == link) peer->state = MemberState::Suspect;
                    continue;
                }
                why = got.unwrap_err().message();
                break;
            }
            if (got.unwrap() == 0) {
                why = "closed by the peer";
                break;
            }
            reader.commit(got.unwrap());
            peer->last_heard.store(Clock::now(), std::memory_order_relaxed);
            if (suspect) {
                std::lock_guard guard{lock_};
                suspect = false;
                if (peer->link == link) peer->state = MemberState::Alive;
            }
        }
    } catch (const FrameError& error) {
        why = error.what();
        report("closing the link to " + peer->name + ": " + why);
    } catch (const std::bad_alloc&) {
        why = "out of memory decoding a frame";
        report("closing the link to " + peer->name + ": " + why);
    }
    link_lost(peer, link, why);
}

void Node::on_frame(Peer& peer, Link& link, Frame& frame) {
    WireScope scope{*this};
    Link::Recent& recent = link.recent;
    // The sender and the receiver of a message, from the reader's memory when they are the last ones again.
    auto signature = [&](const std::optional<WireRef>& sign) -> RefAddr {
        if (!sign) return RefAddr{};
        if (sign->id != recent.sign_id || sign->incarnation != recent.sign_incarnation || sign->node != recent.sign_node) {
            recent.sign = resolve(*sign);
            recent.sign_id = sign->id;
            recent.sign_incarnation = sign->incarnation;
            recent.sign_node = sign->node;
        }
        return recent.sign;
    };
    auto wire_type = [&](std::string_view name) -> const WireType* {
        if (recent.type == nullptr || name != recent.type_name) {
            recent.type = find_wire_type(name);
            recent.type_name = name;
        }
        return recent.type;
    };
    auto receiver = [&](const BastionId& to) -> std::shared_ptr<ActorCell> {
        if (to == recent.to_id) {
            if (auto cell = recent.to.lock()) return cell;
        }
        auto cell = exported(to);
        recent.to_id = to;
        recent.to = cell;
        return cell;
    };
    std::visit(
        [&](auto& body) {
            using Body = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<Body, Tell>) {
                if (body.payload.type == terminated_type) return on_terminated(peer, body);
            }
            if constexpr (std::is_same_v<Body, Tell> || std::is_same_v<Body, Ask>) {
                auto cell = receiver(body.to);
                const WireType* wire = wire_type(body.payload.type);
                RefAddr sign = signature(body.sign);
                auto refuse = [&](const std::string& reason) {
                    if constexpr (std::is_same_v<Body, Ask>) peer.send_no_reply(body.request, reason);
                };
                if (!cell) return refuse("no such actor");
                if (wire == nullptr) {
                    report("dropped a " + std::string{body.payload.type} + " from " + peer.name +
                           ": not a remote message here");
                    return refuse("the message type is not a remote message on " + name);
                }
                LetterPtr letter;
                try {
                    letter = wire->unpack(*body.payload.value,
                                          std::is_same_v<Body, Ask> ? bastion::detail::MessageKind::Ask
                                                                    : bastion::detail::MessageKind::Tell,
                                          std::move(sign));
                } catch (const std::exception&) {
                    report("dropped a " + std::string{body.payload.type} + " from " + peer.name +
                           ": its value does not decode as that type");
                    return refuse("the message does not decode");
                }
                if constexpr (std::is_same_v<Body, Ask>) {
                    letter->answer =
                        std::make_shared<ForwardedAnswer>(RefAddr{cell}, peer.weak_from_this(), body.request);
                }
                // Refused by a stopped actor: the letter dies here, and an ask's sender gets its NoReply.
                (void)bastion::detail::deliver(cell, std::move(letter));
            } else if constexpr (std::is_same_v<Body, Reply>) {
                auto answer = peer.take_pending(body.request);
                if (!answer) return;
                const WireType* wire = wire_type(body.payload.type);
                RefAddr sign = signature(body.sign);
                try {
                    if (wire == nullptr) throw FrameError{"unknown reply type"};
                    (void)answer->fulfil(
                        wire->unpack(*body.payload.value, bastion::detail::MessageKind::Tell, std::move(sign)));
                } catch (const std::exception&) {
                    report("dropped a reply of type " + std::string{body.payload.type} + " from " + peer.name +
                           ": it does not decode here");
                    answer->abandon();
                }
            } else if constexpr (std::is_same_v<Body, NoReply>) {
                if (auto answer = peer.take_pending(body.request)) answer->abandon();
            } else if constexpr (std::is_same_v<Body, Lookup>) {
                std::shared_ptr<ActorCell> cell;
                {
                    std::lock_guard guard{lock_};
                    if (auto found = names_.find(body.name); found != names_.end()) cell = found->second.lock();
                }
                (void)peer.post([&](FrameWriter& out) {
                    out.begin(FrameKind::Found, 2).pack(body.request);
                    pack_ref(out.packer(), cell ? RefAddr{cell} : RefAddr{});
                    out.end();
                });
            } else if constexpr (std::is_same_v<Body, Found>) {
                auto answer = peer.take_pending(body.request);
                if (!answer) return;
                RefAddr found = body.actor ? resolve(*body.actor) : RefAddr{};
                (void)answer->fulfil(
                    bastion::detail::make_letter(bastion::detail::MessageKind::Tell, RefAddr{}, std::move(found)));
            } else if constexpr (std::is_same_v<Body, Members>) {
                learn(body);
            } else if constexpr (std::is_same_v<Body, Goodbye>) {
                std::lock_guard guard{lock_};
                peer.left = true;
                if (peer.link) peer.link.reset();
                mark_down(peer, true);
            } else if constexpr (std::is_same_v<Body, Monitor>) {
                if (!body.watcher) return;
                RefAddr watcher = resolve(*body.watcher);
                auto cell = exported(body.actor);
                std::optional<ExitReason> terminated = ExitReason::Stopped;  // not here (any more)
                if (cell) terminated = cell->watch.watch(watcher);
                if (!terminated) return;
                (void)peer.post([&](FrameWriter& out) {
                    out.begin(FrameKind::Tell, 4);
                    out.pack_id(watcher.path().id());
                    out.pack_nil();
                    pack_death_notice(out, body.actor, static_cast<std::uint8_t>(*terminated));
                    out.end();
                });
            } else if constexpr (std::is_same_v<Body, Joined>) {
                if (!body.member) return;
                RefAddr member = resolve(*body.member);
                auto sys = system.lock();
                if (!member.cell() || !member.cell()->remote || !sys) return;  // not an actor of that member
                {
                    std::lock_guard guard{lock_};
                    peer.routed.emplace_back(std::string{body.distributor}, member.cell());
                }
                sys->routes.distributor(body.distributor)->add(ChildRef{member.cell()});
            } else if constexpr (std::is_same_v<Body, Left>) {
                std::shared_ptr<ActorCell> member;
                {
                    std::lock_guard guard{lock_};
                    auto found = std::find_if(peer.routed.begin(), peer.routed.end(), [&](const auto& entry) {
                        return entry.first == body.distributor && entry.second->id == body.member;
                    });
                    if (found == peer.routed.end()) return;
                    member = std::move(found->second);
                    peer.routed.erase(found);
                }
                if (auto sys = system.lock()) sys->routes.distributor(body.distributor)->remove(ChildRef{member});
            } else if constexpr (std::is_same_v<Body, Hello>) {
                throw FrameError{"a second Hello"};
            }
        },
        frame.body);
}

void Node::on_terminated(Peer& peer, const Tell& tell) {
    const msgpack::object& value = *tell.payload.value;
    if (value.type != msgpack::type::ARRAY || value.via.array.size != 2 ||
        value.via.array.ptr[0].type != msgpack::type::BIN || value.via.array.ptr[0].via.bin.size != 16 ||
        value.via.array.ptr[1].type != msgpack::type::POSITIVE_INTEGER ||
        value.via.array.ptr[1].via.u64 > static_cast<std::uint64_t>(ExitReason::NodeDown)) {
        throw FrameError{"malformed frame: a death notice"};
    }
    std::array<std::uint8_t, 16> id;
    std::memcpy(id.data(), value.via.array.ptr[0].via.bin.ptr, 16);
    if (auto watcher = exported(tell.to)) {
        peer.deliver_terminated(BastionId::from_bytes(id), watcher,
                                static_cast<ExitReason>(value.via.array.ptr[1].via.u64));
    }
}

void Node::link_lost(const std::shared_ptr<Peer>& peer, const std::shared_ptr<Link>& link, const std::string& why) {
    link->close();
    bool was_current = false;
    {
        std::lock_guard guard{lock_};
        if (peer->link == link) {
            was_current = true;
            peer->link.reset();
            if (peer->state == MemberState::Alive) peer->state = MemberState::Suspect;
            if (why == "silent for the heartbeat timeout") mark_down(*peer, false);
            peer->next_dial = Clock::now();
        }
    }
    if (!was_current) return;
    {
        std::lock_guard guard{peer->out_lock};
        if (peer->current == link) peer->current.reset();
    }
    peer->fail_pending();  // what was in flight on the broken link is lost: asks resolve to an error
    changed_.notify_all();
}

void Node::mark_down(Peer& peer, bool left) {
    if (peer.state == MemberState::Down && !left) return;
    const bool was_down = peer.state == MemberState::Down;
    peer.state = MemberState::Down;
    {
        std::lock_guard guard{peer.out_lock};
        peer.accepting = false;
        peer.current.reset();
    }
    if (peer.link) {
        peer.link->close();
        peer.link.reset();
    }
    changed_.notify_all();
    if (was_down) return;
    auto member = member_of(peer);
    auto self = shared_from_this();
    auto shared_peer = peer.shared_from_this();
    // Outside the lock: fail what is pending and tell the subscribers.
    spawn([self, shared_peer, member, left] {
        shared_peer->fail_pending();
        shared_peer->fail_watches();
        self->forget_routes(*shared_peer);
        self->notify(MemberDown{member, left});
    });
}

void Node::gossip(const std::shared_ptr<Peer>& joined) {
    // Copied under the lock, which guards the addresses (a relink or newer gossip rewrites them). The newcomer is left
    // out of the others by identity: its link may already be gone again, and then it is not among the linked ones.
    std::vector<std::pair<std::shared_ptr<Peer>, Member>> others;
    Member newcomer;
    {
        std::lock_guard guard{lock_};
        for (auto& [peer_name, peer] : peers_) {
            if (peer != joined && peer->link && peer->state != MemberState::Down) {
                others.emplace_back(peer, member_of(*peer));
            }
        }
        newcomer = member_of(*joined);
    }
    auto pack_member = [](FrameWriter& out, const Member& member) {
        out.packer().pack_array(3);
        out.packer().pack(member.name).pack(member.incarnation).pack(member.address);
    };
    // The newcomer learns every member linked here; every other member learns the newcomer.
    (void)joined->post([&](FrameWriter& out) {
        out.begin(FrameKind::Members, 1).pack_array(static_cast<std::uint32_t>(others.size()));
        for (const auto& [peer, member] : others) pack_member(out, member);
        out.end();
    });
    for (const auto& [peer, member] : others) {
        (void)peer->post([&](FrameWriter& out) {
            out.begin(FrameKind::Members, 1).pack_array(1);
            pack_member(out, newcomer);
            out.end();
        });
    }
}

void Node::changed(const std::string& distributor, const ChildRef& member, bool joined) noexcept {
    if (member.cell()->remote) return;  // a member of another node, added here on its word
    std::vector<std::shared_ptr<Peer>> linked;
    {
        std::lock_guard guard{lock_};
        for (auto& [peer_name, peer] : peers_) {
            if (peer->link && peer->state != MemberState::Down) linked.push_back(peer);
        }
    }
    for (const auto& peer : linked) {
        try {
            (void)peer->post([&](FrameWriter& out) {
                if (joined) {
                    write_joined(out, distributor, member);
                } else {
                    out.begin(FrameKind::Left, 2).pack(distributor);
                    out.pack_id(member.id());
                    out.end();
                }
            });
        } catch (const std::exception&) {  // out of memory: that member misses this change until it relinks
        }
    }
}

void Node::write_joined(FrameWriter& out, std::string_view distributor, const ChildRef& member) {
    out.begin(FrameKind::Joined, 2).pack(distributor);
    pack_ref(out.packer(), member.addr());
    out.end();
}

void Node::announce_routes(Peer& peer) {
    auto sys = system.lock();
    if (!sys) return;
    for (const auto& route : sys->routes.distributors()) {
        const auto members = route->members();  // the snapshot lives through the loop (not just its first line)
        for (const ChildRef& member : *members) {
            if (member.cell()->remote) continue;
            (void)peer.post([&](FrameWriter& out) { write_joined(out, route->name, member); });
        }
    }
}

void Node::forget_routes(Peer& peer) {
    std::vector<std::pair<std::string, std::shared_ptr<ActorCell>>> routed;
    {
        std::lock_guard guard{lock_};
        routed.swap(peer.routed);
    }
    auto sys = system.lock();
    if (!sys) return;
    for (const auto& [distributor, member] : routed) sys->routes.distributor(distributor)->remove(ChildRef{member});
}

void Node::learn(const Members& members) {
    std::vector<std::pair<std::shared_ptr<Peer>, std::string>> to_dial;
    {
        std::lock_guard guard{lock_};
        for (const WireMember& member : members.members) {
            if (member.node == name || member.address.empty()) continue;
            auto peer = peer_named(member.node);
            if (peer->link) continue;
            peer->address = std::string{member.address};
            peer->left = false;
            if (peer->last_heard.load() == Clock::time_point{}) peer->last_heard = Clock::now();
            if (name < peer->name && !peer->dialing) {
                peer->dialing = true;
                to_dial.emplace_back(peer, peer->address);
            }
        }
    }
    for (auto& [peer, target] : to_dial) {
        auto self = shared_from_this();
        spawn([self, peer, target] { self->dial(peer, target); });
    }
}

Member Node::member_of(const Peer& peer) const {
    return Member{peer.name, peer.address, peer.incarnation.load(), peer.state.load()};
}

std::vector<Member> Node::members() const {
    std::lock_guard guard{lock_};
    std::vector<Member> out;
    for (const auto& [peer_name, peer] : peers_) {
        if (!peer->address.empty() && !peer->left && peer->incarnation != 0) out.push_back(member_of(*peer));
    }
    return out;
}

bool Node::wait_for_members(std::size_t count, std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto all = members();
        if (static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [](const Member& m) {
                return m.state == MemberState::Alive;
            })) >= count) {
            return true;
        }
        if (Clock::now() >= deadline) return false;
        executor::this_proc::sleep_for(std::chrono::milliseconds{5});
    }
}

void Node::register_name(const std::string& actor_name, std::shared_ptr<ActorCell> actor) {
    {
        std::lock_guard guard{exports_lock_};
        exports_[actor->id] = actor;
    }
    std::lock_guard guard{lock_};
    names_[actor_name] = std::move(actor);
}

bool Node::unregister_name(const std::string& actor_name) {
    std::lock_guard guard{lock_};
    return names_.erase(actor_name) > 0;
}

Result<RefAddr, LookupError> Node::whereis(const std::string& node, const std::string& actor_name,
                                            std::chrono::milliseconds timeout) {
    if (node == name) {
        std::lock_guard guard{lock_};
        auto found = names_.find(actor_name);
        auto cell = found == names_.end() ? nullptr : found->second.lock();
        if (!cell) return Err(LookupError::NotFound);
        return Ok(RefAddr{std::move(cell)});
    }
    std::shared_ptr<Peer> peer;
    {
        std::lock_guard guard{lock_};
        auto found = peers_.find(node);
        if (found == peers_.end() || found->second->address.empty()) return Err(LookupError::UnknownNode);
        peer = found->second;
    }
    auto state = std::make_shared<AnswerState>(RefAddr{});
    if (!peer->send_lookup(actor_name, state)) return Err(LookupError::Unreachable);
    Answer answer{state};
    auto reply = answer.get_for(timeout);
    if (reply.is_err()) return Err(LookupError::Unreachable);
    SignedMessage message = std::move(reply).unwrap();
    const auto* found = message.msg().downcast_ref<RefAddr>();
    if (found == nullptr || !found->is_sender_identified()) return Err(LookupError::NotFound);
    return Ok(*found);
}

void Node::subscribe(RefAddr subscriber) {
    std::vector<Member> alive;
    {
        std::lock_guard guard{lock_};
        subscribers_.push_back(subscriber);
        for (const auto& [peer_name, peer] : peers_) {
            if (peer->state == MemberState::Alive && peer->link) alive.push_back(member_of(*peer));
        }
    }
    for (auto& member : alive) (void)bastion::detail::tell(subscriber.cell(), RefAddr{}, MemberUp{std::move(member)});
}

template <class Event>
void Node::notify(const Event& event) {
    std::vector<RefAddr> subscribers;
    {
        std::lock_guard guard{lock_};
        subscribers = subscribers_;
    }
    for (const auto& subscriber : subscribers) (void)bastion::detail::tell(subscriber.cell(), RefAddr{}, Event{event});
}

void Node::leave() {
    std::vector<std::shared_ptr<Peer>> linked;
    {
        std::lock_guard guard{lock_};
        if (leaving_) return;
        leaving_ = true;
        for (auto& [peer_name, peer] : peers_) {
            if (peer->link) linked.push_back(peer);
        }
    }
    for (const auto& peer : linked) {
        (void)peer->post([](FrameWriter& out) {
            out.begin(FrameKind::Goodbye, 0);
            out.end();
        });
    }
    // Give the writers a moment to flush the goodbyes, then close everything.
    const auto deadline = Clock::now() + std::chrono::milliseconds{500};
    for (const auto& peer : linked) {
        while (Clock::now() < deadline) {
            {
                std::lock_guard guard{peer->out_lock};
                if (peer->out.empty()) break;
            }
            executor::this_proc::sleep_for(std::chrono::milliseconds{1});
        }
    }
    for (const auto& provider : discoveries_) provider->stop();
    std::lock_guard guard{lock_};
    for (auto& [peer_name, peer] : peers_) {
        {
            std::lock_guard out_guard{peer->out_lock};
            peer->accepting = false;  // a send from here on comes back to its sender
        }
        if (peer->link) peer->link->close();
        peer->link.reset();
    }
    if (acceptor_.valid()) acceptor_.cancel();
    if (maintainer_.valid()) maintainer_.cancel();
}

void Node::pack_ref(Packer& packer, const RefAddr& addr) {
    const auto& cell = addr.cell();
    if (!cell) {
        packer.pack_nil();
        return;
    }
    if (cell->remote) {
        const auto& proxy = static_cast<const ProxyLink&>(*cell->remote);
        detail::pack_ref(packer, proxy.peer->name, proxy.incarnation, cell->id, cell->path.parent_chain(), cell->name);
        return;
    }
    {
        std::lock_guard guard{exports_lock_};
        auto [entry, added] = exports_.try_emplace(cell->id, cell);
        if (added && exports_.size() >= exports_swept_at_) {
            // Forget actors that have gone; the table grows with the live ones only.
            std::erase_if(exports_, [](const auto& e) { return e.second.expired(); });
            exports_swept_at_ = std::max<std::size_t>(1024, exports_.size() * 2);
        }
    }
    detail::pack_ref(packer, name, incarnation, cell->id, cell->path.parent_chain(), cell->name);
}

std::shared_ptr<ActorCell> Node::exported(const BastionId& id) {
    std::lock_guard guard{exports_lock_};
    auto found = exports_.find(id);
    return found == exports_.end() ? nullptr : found->second.lock();
}

RefAddr Node::resolve(const WireRef& ref) {
    if (ref.node == name) {
        if (ref.incarnation != incarnation) return RefAddr{};  // an actor of this node's previous run
        return RefAddr{exported(ref.id)};
    }
    auto path = child_path(ref.chain, ref.id);
    if (!path) throw FrameError{"malformed frame: a ref's path is not a child's"};
    std::lock_guard guard{lock_};
    auto peer = peer_named(ref.node);
    if (auto found = peer->proxies.find(ref.id); found != peer->proxies.end()) {
        if (auto proxy = found->second.lock()) {
            if (static_cast<const ProxyLink&>(*proxy->remote).incarnation == ref.incarnation) return RefAddr{proxy};
        }
    }
    auto proxy = std::make_shared<ActorCell>(ref.id, std::move(*path), std::string{ref.group},
                                             std::weak_ptr<bastion::detail::GroupCell>{});
    proxy->remote = std::make_shared<ProxyLink>(peer, ref.incarnation);
    peer->proxies[ref.id] = proxy;
    if (peer->proxies.size() % 1024 == 0) {
        std::erase_if(peer->proxies, [](const auto& e) { return e.second.expired(); });
    }
    return RefAddr{std::move(proxy)};
}

}  // namespace bastion::distributed::detail
