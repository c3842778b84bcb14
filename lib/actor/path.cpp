#include <bastion/path.hpp>

#include <cstddef>
#include <ostream>

namespace bastion {

namespace {

const char* kind_name(const BastionPathElement& elem) {
    if (elem.is_supervisor()) return "supervisor#";
    if (elem.is_children()) return "children#";
    return "child#";
}

}  // namespace

BastionPath BastionPath::dead_letters() {
    BastionPath path;
    path.parent_chain_.push_back(NIL_ID);
    path.elem_ = BastionPathElement::Children(NIL_ID);
    return path;
}

std::optional<BastionPath> BastionPath::append(BastionPathElement elem) const {
    const bool allowed = elem.is_supervisor() ? !elem_ || elem_->is_supervisor()
                         : elem.is_children() ? elem_ && elem_->is_supervisor()
                                              : elem_ && elem_->is_children();
    if (!allowed) return std::nullopt;
    BastionPath path = *this;
    if (elem_) path.parent_chain_.push_back(elem_->id());
    path.elem_ = elem;
    return path;
}

bool BastionPath::is_dead_letters() const noexcept {
    return parent_chain_.size() == 1 && parent_chain_.front().is_nil() && elem_ == BastionPathElement::Children(NIL_ID);
}

std::string BastionPath::to_string() const {
    std::string text;
    for (const BastionId& id : parent_chain_) text += '/' + id.to_string();
    if (elem_) text += '/' + elem_->id().to_string();
    return text.empty() ? "/" : text;
}

std::string BastionPath::debug_string() const {
    if (!elem_) return "/";
    std::string text;
    for (std::size_t i = 0; i < parent_chain_.size(); ++i) {
        // Only ids of parents are kept; their kinds follow from the append rules, as upstream's Debug infers them:
        // a child's nearest parent is its children group, every other parent is a supervisor.
        const bool group = elem_->is_child() && i + 1 == parent_chain_.size();
        text += group ? "/children#" : "/supervisor#";
        text += parent_chain_[i].to_string();
    }
    return text + '/' + kind_name(*elem_) + elem_->id().to_string();
}

std::ostream& operator<<(std::ostream& os, const BastionPath& path) { return os << path.to_string(); }

}  // namespace bastion
