// Discovery from a fixed list of addresses: nothing to announce, and the view never changes.

#include "distributed/discovery.hpp"

namespace bastion::distributed::detail {

namespace {

class SeedsDiscovery final : public Discovery {
public:
    explicit SeedsDiscovery(const Seeds& seeds) {
        for (const std::string& address : seeds.addresses) view_.push_back({{}, address, 0});
    }
    void start(const Advert&) override {}
    std::vector<Advert> view() override { return view_; }
    void stop() noexcept override {}

private:
    std::vector<Advert> view_;
};

}  // namespace

std::unique_ptr<Discovery> make_seeds_discovery(const Seeds& seeds) { return std::make_unique<SeedsDiscovery>(seeds); }

}  // namespace bastion::distributed::detail
