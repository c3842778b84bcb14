#pragma once
// The keyword arguments of CHILDREN and SUPERVISOR, `key(value)` in any order, turned by the preprocessor into C++
// values for a function template: `CHILDREN(redundancy(4), action(f))` → `children_macro(Redundancy(4), action(f))`.
// A family F knows key k when it defines
//     #define BASTION_DETAIL_F_PROBE_k(...) ~, 1          (k is a key of F)
//     #define BASTION_DETAIL_F_KEY_k(...) <C++ value>      (what k(value) becomes)
// Any other key expands to `BASTION_F_has_no_key_named_k(value)`, an undeclared name that the compiler reports.

#include <boost/preprocessor/cat.hpp>
#include <boost/preprocessor/control/iif.hpp>
#include <boost/preprocessor/seq/enum.hpp>
#include <boost/preprocessor/seq/transform.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>

// 1 if `key(value)` is a key of `family`, else 0: the probe expands to two arguments only for a known key.
#define BASTION_DETAIL_KEY_CHECK_N(x, n, ...) n
#define BASTION_DETAIL_KEY_CHECK(...) BASTION_DETAIL_KEY_CHECK_N(__VA_ARGS__, 0, ~)
#define BASTION_DETAIL_KEY_IS_KNOWN(family, key) \
    BASTION_DETAIL_KEY_CHECK(BOOST_PP_CAT(BOOST_PP_CAT(BASTION_DETAIL_, family), BOOST_PP_CAT(_PROBE_, key)))

#define BASTION_DETAIL_KEY_EXPAND(s, family, key)                                                  \
    BOOST_PP_IIF(BASTION_DETAIL_KEY_IS_KNOWN(family, key),                                         \
                 BOOST_PP_CAT(BOOST_PP_CAT(BASTION_DETAIL_, family), BOOST_PP_CAT(_KEY_, key)),    \
                 BOOST_PP_CAT(BOOST_PP_CAT(BASTION_, family), BOOST_PP_CAT(_has_no_key_named_, key)))

/// `key1(v1), key2(v2), ...` → the C++ values of those keys, comma-separated.
#define BASTION_DETAIL_KEYS(family, ...) \
    BOOST_PP_SEQ_ENUM(BOOST_PP_SEQ_TRANSFORM(BASTION_DETAIL_KEY_EXPAND, family, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__)))
