#pragma once
// A node of the cluster: its listener, its peers (one per other member), one link (TCP connection) per peer, the
// proxies standing for remote actors, and the tables that let remote nodes reach local actors.
//
// Threads: every lightproc here runs on the system's executor. The node lock guards the peer table and each peer's
// membership fields; a peer's own lock guards what it has queued to send and its pending requests. Lock order: node,
// then peer, then exports.

#include <bastion/distributed/cluster.hpp>
#include <bastion/distributed/cluster_config.hpp>
#include <bastion/distributed/member.hpp>
#include <bastion/executor/detail/wake_slot.hpp>
#include <bastion/executor/proc_handle.hpp>
#include <bastion/io/tcp_listener.hpp>
#include <bastion/io/tcp_stream.hpp>
#include <bastion/message.hpp>
#include <bastion/terminated.hpp>

#include "actor/cells.hpp"
#include "distributed/discovery.hpp"
#include "distributed/frame.hpp"

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace bastion::distributed::detail {

using bastion::detail::ActorCell;
using bastion::detail::AnswerState;
using bastion::detail::LetterPtr;
using Clock = std::chrono::steady_clock;

class Node;
class Peer;

/// One TCP connection to a peer, and the two lightprocs that read and write it.
class Link {
public:
    Link(io::Handle<io::TcpStream> stream, std::string dialer) noexcept
        : stream{std::move(stream)}, dialer{std::move(dialer)} {}

    io::Handle<io::TcpStream> stream;
    const std::string dialer;  // the name of the node that dialed: ties between two links are broken on it
    std::atomic<bool> closed{false};
    executor::detail::WakeSlot writer_wake;  // the writer waits here for frames to send
    // Set by the handshake once both lightprocs are spawned, while close() may run on any thread: both sides hold
    // `handles_lock`, so a close that comes before the reader exists is seen by the handshake, which cancels it.
    std::mutex handles_lock;
    executor::RecoverableHandle<void> reader;
    executor::RecoverableHandle<void> writer;

    // The reader's memory of the last sender and receiver it resolved: a stream of messages from one actor to another
    // resolves both once. Only the reader touches it.
    struct Recent {
        BastionId sign_id;
        std::uint64_t sign_incarnation = 0;
        std::string sign_node;
        RefAddr sign;
        BastionId to_id;
        std::weak_ptr<ActorCell> to;
        std::string type_name;
        const WireType* type = nullptr;  // entries of the type table live as long as the process
    } recent;

    /// Stops both lightprocs (idempotent); the socket closes when they are gone.
    void close() noexcept;
    /// Wakes the writer: there is something to send, or the link closed.
    void wake() noexcept;
};

/// Another member, as long as this node knows it (across links and incarnations).
class Peer : public std::enable_shared_from_this<Peer> {
public:
    Peer(std::weak_ptr<Node> node, std::string name) : node{std::move(node)}, name{std::move(name)} {}

    // The node this peer belongs to. A ref to a remote actor keeps its peer alive, possibly past the node (after the
    // system stopped): every use locks it, and a node that is gone sends nothing.
    const std::weak_ptr<Node> node;
    const std::string name;

    // Under the node lock (state and incarnation are also read without it, by senders).
    std::string address;
    std::atomic<std::uint64_t> incarnation{0};
    std::atomic<MemberState> state{MemberState::Suspect};
    bool left = false;                   // said goodbye: no redial
    std::shared_ptr<Link> link;          // the live link, if any
    std::atomic<Clock::time_point> last_heard{};  // the last bytes from it (the reader stamps it without the lock)
    Clock::time_point next_dial{};       // when the maintainer may dial it again
    std::chrono::milliseconds backoff{};
    bool dialing = false;
    std::unordered_map<BastionId, std::weak_ptr<ActorCell>> proxies;
    // Its actors that joined distributors here, by distributor name.
    std::vector<std::pair<std::string, std::shared_ptr<ActorCell>>> routed;

    /// Queues a letter for the remote actor `to` (of incarnation `incarnation`). Empty if queued, else the letter.
    LetterPtr send(const ActorCell& to, std::uint64_t incarnation, LetterPtr letter) noexcept;
    /// Queues the reply to request `request`. Empty if queued, else the letter.
    LetterPtr send_reply(std::uint64_t request, LetterPtr reply) noexcept;
    /// Queues a NoReply for `request`.
    void send_no_reply(std::uint64_t request, std::string_view reason) noexcept;
    /// Queues a Lookup; the Found will fulfil `answer` with a letter holding a RefAddr. False if not queued.
    bool send_lookup(const std::string& name, std::shared_ptr<AnswerState> answer);
    /// Queues a frame built by `write(FrameWriter&)`; false if there is no link to carry it.
    template <class Write>
    bool post(Write&& write) {
        std::shared_ptr<Link> to;
        {
            std::lock_guard guard{out_lock};
            if (!accepting) return false;
            write(out);
            to = current;
        }
        if (to) to->wake();
        return true;
    }

    /// Sends the Monitor of every watch again (on a new link: those queued on a broken one were lost with it; a watch
    /// that arrives twice is answered twice, and the second answer finds no watch left here).
    void renew_watches() noexcept;
    /// Asks the member to tell `watcher` when the actor `proxy` stands for stops; if the member is Down, tells it
    /// NodeDown at once.
    void send_monitor(const ActorCell& proxy, std::uint64_t incarnation, const RefAddr& watcher) noexcept;
    /// A death notice for the watch of `actor` by the local actor `watcher` arrived: tells it, once.
    void deliver_terminated(const BastionId& actor, const std::shared_ptr<ActorCell>& watcher, ExitReason reason);
    /// Tells every watcher of an actor of this member NodeDown, and forgets the watches (the member was lost).
    void fail_watches() noexcept;

    /// The pending request `request` (removed), or null.
    std::shared_ptr<AnswerState> take_pending(std::uint64_t request);
    /// Resolves every pending request to an error and drops what is queued (the link carrying them broke).
    void fail_pending() noexcept;

    // Under out_lock: the frames waiting for the writer, the requests waiting for an answer, and the link the writer
    // writes to. `accepting` is false while the peer is Down: sends come back.
    std::mutex out_lock;
    FrameWriter out;
    std::shared_ptr<Link> current;
    bool accepting = false;
    std::uint64_t next_request = 1;
    // The wire type of the last payload sent (most streams send one type).
    const std::type_info* last_type = nullptr;
    const WireType* last_wire = nullptr;
    std::unordered_map<std::uint64_t, std::shared_ptr<AnswerState>> pending;
    // The member's actors that local actors watch.
    struct Watch {
        std::shared_ptr<ActorCell> actor;  // the proxy
        RefAddr watcher;
    };
    std::vector<Watch> watches;
};

/// What a proxy cell's letters go through: the peer of the node the remote actor lives on.
class ProxyLink final : public bastion::detail::RemoteLink {
public:
    ProxyLink(std::shared_ptr<Peer> peer, std::uint64_t incarnation) noexcept
        : peer{std::move(peer)}, incarnation{incarnation} {}
    LetterPtr deliver(const ActorCell& proxy, LetterPtr letter) noexcept override {
        return peer->send(proxy, incarnation, std::move(letter));
    }
    void monitor(const ActorCell& proxy, const RefAddr& watcher) noexcept override {
        peer->send_monitor(proxy, incarnation, watcher);
    }
    const std::shared_ptr<Peer> peer;
    const std::uint64_t incarnation;
};

/// The reply slot of an ask that came from another node: the reply goes back over the wire.
class ForwardedAnswer final : public AnswerState {
public:
    ForwardedAnswer(RefAddr replier, std::weak_ptr<Peer> asker, std::uint64_t request) noexcept
        : AnswerState{std::move(replier)}, asker_{std::move(asker)}, request_{request} {}
    LetterPtr fulfil(LetterPtr reply) noexcept override;
    void abandon() noexcept override;

private:
    std::weak_ptr<Peer> asker_;
    const std::uint64_t request_;
    std::atomic<bool> done_{false};
};

class Node : public std::enable_shared_from_this<Node>, public bastion::detail::RouteObserver {
    friend class Peer;  // a peer takes the node lock to read its proxies

public:
    Node(ClusterConfig config, std::shared_ptr<bastion::detail::System> system, io::Handle<io::TcpListener> listener,
         std::string address);
    ~Node();

    /// Starts the listener and the maintainer.
    void start();

    /// The node of the current system, if it joined a cluster.
    static std::shared_ptr<Node> current();
    /// Makes `node` the current system's node.
    static void set_current(const std::shared_ptr<Node>& node);
    /// The current node's name; empty if there is none.
    static std::string local_name();

    const ClusterConfig config;
    const std::weak_ptr<bastion::detail::System> system;
    const std::string address;
    const std::string name;
    const std::uint64_t incarnation;

    std::vector<Member> members() const;
    bool wait_for_members(std::size_t count, std::chrono::milliseconds timeout) const;
    void register_name(const std::string& name, std::shared_ptr<ActorCell> actor);
    bool unregister_name(const std::string& name);
    Result<RefAddr, LookupError> whereis(const std::string& node, const std::string& name,
                                         std::chrono::milliseconds timeout);
    void subscribe(RefAddr subscriber);
    void leave();

    /// Writes the wire form of `addr` (exporting a local actor so that replies reach it).
    void pack_ref(Packer& packer, const RefAddr& addr);
    /// The RefAddr a wire ref names: a local actor, or a proxy for a remote one. Throws FrameError if malformed.
    RefAddr resolve(const WireRef& ref);
    /// The local actor with id `id` that some node was given a ref to (or that is registered), or null.
    std::shared_ptr<ActorCell> exported(const BastionId& id);

    /// An actor of this node joined or left a distributor: the other members are told, so theirs reach it too.
    void changed(const std::string& distributor, const ChildRef& member, bool joined) noexcept override;

    /// Reports a problem on stderr, prefixed with the node's name.
    void report(const std::string& line) const;

private:
    void accept_loop();
    void maintain();
    void dial(std::shared_ptr<Peer> peer, std::string address);
    /// Runs the handshake on a fresh connection and, if it is accepted, the link.
    void handshake(io::Handle<io::TcpStream> stream, bool dialed, std::shared_ptr<Peer> expected);
    /// Makes `link` the peer's link (or refuses it, if the peer already has a better one). Under lock_.
    enum class Attached { Refused, Relinked, CameUp };
    Attached attach(const Hello& hello, const std::shared_ptr<Link>& link, std::shared_ptr<Peer>& peer);
    void run_reader(std::shared_ptr<Peer> peer, std::shared_ptr<Link> link, FrameReader reader);
    void run_writer(std::shared_ptr<Peer> peer, std::shared_ptr<Link> link);
    void on_frame(Peer& peer, Link& link, Frame& frame);
    void on_terminated(Peer& peer, const Tell& tell);
    void link_lost(const std::shared_ptr<Peer>& peer, const std::shared_ptr<Link>& link, const std::string& why);
    /// Marks `peer` Down (under lock_); `left` if it said goodbye or was replaced.
    void mark_down(Peer& peer, bool left);
    void gossip(const std::shared_ptr<Peer>& joined);
    /// Writes a Joined frame: `member`, an actor of this node, joined `distributor`.
    void write_joined(FrameWriter& out, std::string_view distributor, const ChildRef& member);
    /// Tells `peer` every distributor membership of this node's actors.
    void announce_routes(Peer& peer);
    /// Takes `peer`'s actors out of this node's distributors (it was lost).
    void forget_routes(Peer& peer);
    void learn(const Members& members);
    /// Tells every subscriber `event` (a MemberUp or a MemberDown).
    template <class Event>
    void notify(const Event& event);
    Member member_of(const Peer& peer) const;
    std::shared_ptr<Peer> peer_named(std::string_view name);  // under lock_
    template <class F>
    void spawn(F&& fn);

    io::Handle<io::TcpListener> listener_;
    const std::vector<std::unique_ptr<Discovery>> discoveries_;
    mutable std::mutex lock_;
    mutable std::condition_variable changed_;  // a member came or went (plain-thread waiters)
    std::map<std::string, std::shared_ptr<Peer>, std::less<>> peers_;
    std::vector<std::string> self_addresses_;  // seeds found to be this node
    std::set<std::string> seeds_dialing_;      // addresses from the providers being dialed now
    std::map<std::string, std::weak_ptr<ActorCell>, std::less<>> names_;
    std::vector<RefAddr> subscribers_;
    bool leaving_ = false;
    executor::RecoverableHandle<void> acceptor_;
    executor::RecoverableHandle<void> maintainer_;

    std::mutex exports_lock_;
    std::unordered_map<BastionId, std::weak_ptr<ActorCell>> exports_;
    std::size_t exports_swept_at_ = 1024;
};

}  // namespace bastion::distributed::detail
