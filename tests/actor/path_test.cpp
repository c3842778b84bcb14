#include <bastion/path.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace bastion;

namespace {

using Element = BastionPathElement;

// Upstream's `path.iter()`: the parents' ids, then the element's.
std::vector<BastionId> ids(const BastionPath& path) {
    std::vector<BastionId> all{path.parent_chain().begin(), path.parent_chain().end()};
    if (path.elem()) all.push_back(path.elem()->id());
    return all;
}

// Unwraps an append that the rules allow.
BastionPath operator/(const BastionPath& path, Element elem) {
    std::optional<BastionPath> appended = path.append(elem);
    REQUIRE(appended.has_value());
    return *appended;
}

struct Tree {
    BastionId sv = BastionId::new_v4();
    BastionId children = BastionId::new_v4();
    BastionId child = BastionId::new_v4();
    BastionPath sv_path = BastionPath::root() / Element::Supervisor(sv);
    BastionPath children_path = sv_path / Element::Children(children);
    BastionPath child_path = children_path / Element::Child(child);
};

}  // namespace

TEST_SUITE("actor") {
// Upstream path.rs, SYSTEM + something.
TEST_CASE("a supervisor appends to the root without parents") {
    Tree t;
    CHECK(ids(t.sv_path) == std::vector<BastionId>{t.sv});
    CHECK(t.sv_path.parent_chain().empty());
    CHECK(t.sv_path.elem() == Element::Supervisor(t.sv));
}

TEST_CASE("children do not append to the root") {
    CHECK(BastionPath::root().append(Element::Children(BastionId::new_v4())) == std::nullopt);
}

TEST_CASE("a child does not append to the root") {
    CHECK(BastionPath::root().append(Element::Child(BastionId::new_v4())) == std::nullopt);
}

// Supervisor + something.
TEST_CASE("a supervisor appends to a supervisor, which becomes its parent") {
    Tree t;
    const BastionId sv2 = BastionId::new_v4();
    const BastionPath path = t.sv_path / Element::Supervisor(sv2);
    CHECK(ids(path) == std::vector<BastionId>{t.sv, sv2});
    CHECK(path.id() == sv2);
}

TEST_CASE("children append to a supervisor") {
    Tree t;
    CHECK(ids(t.children_path) == std::vector<BastionId>{t.sv, t.children});
    CHECK(t.children_path.elem()->is_children());
}

TEST_CASE("a child does not append to a supervisor") {
    Tree t;
    CHECK(t.sv_path.append(Element::Child(BastionId::new_v4())) == std::nullopt);
}

// Children + something.
TEST_CASE("a supervisor does not append to children") {
    Tree t;
    CHECK(t.children_path.append(Element::Supervisor(BastionId::new_v4())) == std::nullopt);
}

TEST_CASE("children do not append to children") {
    Tree t;
    CHECK(t.children_path.append(Element::Children(BastionId::new_v4())) == std::nullopt);
}

TEST_CASE("a child appends to children") {
    Tree t;
    CHECK(ids(t.child_path) == std::vector<BastionId>{t.sv, t.children, t.child});
    CHECK(t.child_path.elem()->is_child());
    CHECK(t.child_path.id() == t.child);
}

// Child + something.
TEST_CASE("a supervisor does not append to a child") {
    Tree t;
    CHECK(t.child_path.append(Element::Supervisor(BastionId::new_v4())) == std::nullopt);
}

TEST_CASE("children do not append to a child") {
    Tree t;
    CHECK(t.child_path.append(Element::Children(BastionId::new_v4())) == std::nullopt);
}

TEST_CASE("a child does not append to a child") {
    Tree t;
    CHECK(t.child_path.append(Element::Child(BastionId::new_v4())) == std::nullopt);
}

// Beyond upstream's tests.
TEST_CASE("append leaves the original path unchanged") {
    Tree t;
    const BastionPath before = t.sv_path;
    (void)(t.sv_path / Element::Children(BastionId::new_v4()));
    CHECK(t.sv_path == before);
    CHECK(ids(t.sv_path) == std::vector<BastionId>{t.sv});
}

TEST_CASE("the root has no element, the nil id and prints as a slash") {
    const BastionPath root = BastionPath::root();
    CHECK(root.elem() == std::nullopt);
    CHECK(root.id() == NIL_ID);
    CHECK(root.parent_chain().empty());
    CHECK(root.to_string() == "/");
    CHECK(root.debug_string() == "/");
    CHECK_FALSE(root.is_dead_letters());
}

TEST_CASE("a path prints its ids joined by slashes, as Rust's Display") {
    Tree t;
    const std::string slash{"/"};
    CHECK(t.sv_path.to_string() == slash + t.sv.to_string());
    CHECK(t.child_path.to_string() == slash + t.sv.to_string() + slash + t.children.to_string() + slash +
                                          t.child.to_string());
    std::ostringstream out;
    out << t.child_path;
    CHECK(out.str() == t.child_path.to_string());
}

TEST_CASE("a path's debug form names each level's kind, inferred for parents as Rust's Debug does") {
    Tree t;
    const BastionId sv2 = BastionId::new_v4();
    const BastionPath nested = t.sv_path / Element::Supervisor(sv2) / Element::Children(t.children);
    const BastionPath nested_child = nested / Element::Child(t.child);
    CHECK(t.sv_path.debug_string() == "/supervisor#" + t.sv.to_string());
    CHECK(t.children_path.debug_string() ==
          "/supervisor#" + t.sv.to_string() + "/children#" + t.children.to_string());
    CHECK(nested_child.debug_string() == "/supervisor#" + t.sv.to_string() + "/supervisor#" + sv2.to_string() +
                                             "/children#" + t.children.to_string() + "/child#" + t.child.to_string());
}

TEST_CASE("the dead-letters path is children with the nil id under the system supervisor") {
    const BastionPath dead = BastionPath::dead_letters();
    CHECK(dead.is_dead_letters());
    CHECK(dead == BastionPath::root() / Element::Supervisor(NIL_ID) / Element::Children(NIL_ID));
    CHECK(dead.id() == NIL_ID);
    CHECK(ids(dead) == std::vector<BastionId>{NIL_ID, NIL_ID});
    CHECK(dead.debug_string() == "/supervisor#" + NIL_ID.to_string() + "/children#" + NIL_ID.to_string());
}

TEST_CASE("a child of a top-level group is not dead letters, unlike upstream") {
    // Upstream's is_dead_letters is true for any child two levels below the root, which is where
    // Bastion::children puts every top-level group's children.
    const BastionPath system = BastionPath::root() / Element::Supervisor(NIL_ID);
    const BastionPath group = system / Element::Children(BastionId::new_v4());
    const BastionPath child = group / Element::Child(BastionId::new_v4());
    CHECK(child.parent_chain().size() == 2);
    CHECK_FALSE(child.is_dead_letters());
    CHECK_FALSE(group.is_dead_letters());
    CHECK_FALSE((BastionPath::dead_letters() / Element::Child(BastionId::new_v4())).is_dead_letters());
}
}
