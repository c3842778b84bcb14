#include "actor/cells.hpp"

#include "actor/dead_letters.hpp"
#include "actor/supervisor_run.hpp"

#include <algorithm>
#include <iostream>

namespace bastion::detail {

void GroupCell::build(const std::shared_ptr<GroupCell>& self) {
    std::size_t count = redundancy == 0 ? 1 : redundancy;
    if (resizer && resizer->upper_bound().limit()) count = std::min(count, std::max<std::size_t>(1, *resizer->upper_bound().limit()));
    Elements elements;
    elements.reserve(count);
    for (std::size_t i = 0; i < count; ++i) elements.push_back(make_element(self));
    set_elements(std::move(elements));
}

std::shared_ptr<ActorCell> GroupCell::make_element(const std::shared_ptr<GroupCell>& self) const {
    const BastionId child = BastionId::new_v4();
    auto cell = std::make_shared<ActorCell>(child, *path.append(BastionPathElement::Child(child)), name, self);
    cell->meter.on = resizer.has_value();
    return cell;
}

std::shared_ptr<const GroupCell::Elements> GroupCell::elements() const noexcept {
    std::lock_guard guard{lock_};
    return elements_;
}

void GroupCell::set_elements(Elements elements) {
    auto next = std::make_shared<const Elements>(std::move(elements));
    std::lock_guard guard{lock_};
    elements_.swap(next);
}

namespace {
bool is_empty(const Element& element) noexcept {
    return std::visit([](const auto& cell) { return cell == nullptr; }, element);
}
void set_slot(const Element& element, std::size_t slot) noexcept {
    std::visit([slot](const auto& cell) { cell->slot = slot; }, element);
}
}  // namespace

bool SupervisorCell::add(Element element) {
    bool ended = false;
    {
        std::lock_guard lock{lock_};
        ended = finished.load(std::memory_order_acquire);
        if (!ended) {
            set_slot(element, elements_.size());
            elements_.push_back(element);
            if (!deployed_) return true;
        }
    }
    if (!ended && post(Deploy{element})) return true;
    terminate_element(element, ExitReason::Stopped);  // it had ended, or ended meanwhile
    return false;
}

void terminate_actor(const std::shared_ptr<ActorCell>& cell, ExitReason reason) {
    std::vector<LetterPtr> unread;
    cell->mailbox.close(unread);
    drop_dead_letters(unread, cell->path);
    cell->watch.end(reason, RefAddr{cell}, Terminated{ChildRef{cell}, reason});
}

void end_group(const std::shared_ptr<GroupCell>& group, ExitReason reason) {
    group->watch.end(reason, RefAddr{}, GroupTerminated{ChildrenRef{group}, reason});
}

void terminate_element(const Element& element, ExitReason reason) {
    if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element)) {
        const auto elements = (*group)->elements();
        for (const auto& cell : *elements) terminate_actor(cell, reason);
        end_group(*group, reason);
        return;
    }
    for (const Element& below : std::get<std::shared_ptr<SupervisorCell>>(element)->elements()) {
        terminate_element(below, reason);
    }
}

std::vector<Element> SupervisorCell::elements() const {
    std::vector<Element> found;
    std::lock_guard lock{lock_};
    found.reserve(elements_.size());
    for (const Element& element : elements_) {
        if (!is_empty(element)) found.push_back(element);
    }
    return found;
}

void SupervisorCell::forget(const Element& element) {
    std::lock_guard lock{lock_};
    const std::size_t slot = std::visit([](const auto& cell) { return cell->slot; }, element);
    if (slot < elements_.size() && elements_[slot] == element) elements_[slot] = std::shared_ptr<GroupCell>{};
}

void SupervisorCell::compact() {
    std::lock_guard lock{lock_};
    std::erase_if(elements_, is_empty);
    for (std::size_t i = 0; i < elements_.size(); ++i) set_slot(elements_[i], i);
}

bool SupervisorCell::post(Event event) {
    auto letter = std::make_unique<OwnedLetter<Event>>(MessageKind::Tell, RefAddr{}, std::move(event));
    return control_.push(std::move(letter)) == nullptr;
}

void SupervisorCell::launch() {
    {
        std::lock_guard lock{lock_};
        deployed_ = false;  // the new run deploys everything there is
    }
    finished.store(false, std::memory_order_release);
    watch.revive();
    control_.reopen();
    // The handle is dropped: a supervisor is stopped through events, and the executor's shutdown cancels it.
    (void)system->executor->spawn(SupervisorRun{shared_from_this()});
}

namespace {
executor::ExecutorConfig executor_config(const Config& config) {
    executor::ExecutorConfig result;
    result.workers = config.workers();
    result.blocking_threads = config.blocking_threads();
    return result;
}
}  // namespace

System::System(Config config)
    : config{config},
      executor{std::make_unique<executor::Executor>(executor_config(config))},
      root{std::make_shared<SupervisorCell>(NIL_ID, *BastionPath::root().append(BastionPathElement::Supervisor(NIL_ID)),
                                            std::weak_ptr<SupervisorCell>{}, this)} {}

System::~System() {
    if (!reaped) executor->shutdown();
}

void System::on_stopped() {
    std::lock_guard guard{lock};
    stopped = true;
    changed.notify_all();
}

void System::report(const std::string& line) const {
    if (config.backtraces_shown()) std::cerr << line + '\n' << std::flush;
}

void System::report_callback_failure(const char* which, const BastionPath& path) const {
    std::string what = "unknown exception";
    try {
        throw;
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    report("bastion: callback " + std::string{which} + " of " + path.to_string() + " threw: " + what);
}

}  // namespace bastion::detail
