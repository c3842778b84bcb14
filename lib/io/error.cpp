#include <bastion/io/error.hpp>

#include <ostream>

namespace bastion::io {

Error::Error(std::error_code code, std::string_view operation, std::string target)
    : code_{code}, operation_{operation}, target_{std::move(target)} {}

std::string Error::message() const {
    std::string text{operation_};
    if (!target_.empty()) text += " on " + target_;
    return text + ": " + code_.message();
}

std::ostream& operator<<(std::ostream& out, const Error& error) { return out << error.message(); }

}  // namespace bastion::io
