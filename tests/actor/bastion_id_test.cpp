#include <bastion/bastion_id.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <map>
#include <sstream>
#include <string>
#include <unordered_set>

using namespace bastion;

namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

TEST_SUITE("actor") {
TEST_CASE("a default id is the nil UUID, printed as 36 characters of zeros and dashes") {
    static_assert(NIL_ID.is_nil());
    CHECK(BastionId{} == NIL_ID);
    CHECK(NIL_ID.to_string() == "00000000-0000-0000-0000-000000000000");
    CHECK_FALSE(BastionId::new_v4().is_nil());
}

TEST_CASE("a new id prints as a canonical lowercase version 4 UUID with the RFC 4122 variant") {
    for (int i = 0; i < 100; ++i) {
        const std::string text = BastionId::new_v4().to_string();
        REQUIRE(text.size() == 36);
        for (std::size_t pos = 0; pos < text.size(); ++pos) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
                CHECK(text[pos] == '-');
            } else {
                CHECK(is_lower_hex(text[pos]));
            }
        }
        CHECK(text[14] == '4');
        CHECK(std::string{"89ab"}.find(text[19]) != std::string::npos);
    }
}

TEST_CASE("10,000 new ids are all different, by value, by text and by hash") {
    std::unordered_set<BastionId> ids;
    std::unordered_set<std::string> texts;
    std::unordered_set<std::size_t> hashes;
    for (int i = 0; i < 10'000; ++i) {
        const BastionId id = BastionId::new_v4();
        ids.insert(id);
        texts.insert(id.to_string());
        hashes.insert(std::hash<BastionId>{}(id));
    }
    CHECK(ids.size() == 10'000);
    CHECK(texts.size() == 10'000);
    CHECK(hashes.size() == 10'000);
}

TEST_CASE("ids order as their text does, so they can key a std::map") {
    std::map<BastionId, std::string> by_id;
    for (int i = 0; i < 100; ++i) {
        const BastionId id = BastionId::new_v4();
        by_id.emplace(id, id.to_string());
    }
    by_id.emplace(NIL_ID, NIL_ID.to_string());
    CHECK(by_id.begin()->first == NIL_ID);
    std::string previous;
    for (const auto& [id, text] : by_id) {
        CHECK(previous < text);
        previous = text;
    }
}

TEST_CASE("an id streams as its text and copies compare equal") {
    const BastionId id = BastionId::new_v4();
    const BastionId copy = id;
    std::ostringstream out;
    out << id;
    CHECK(out.str() == id.to_string());
    CHECK(copy == id);
    CHECK(BastionId::new_v4() != id);
}
}
