#include <bastion/resizer.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace bastion {

std::ptrdiff_t OptimalSizeExploringResizer::scale(const ResizerSample& sample) const noexcept {
    const std::size_t upper = upper_bound_.limit().value_or(std::numeric_limits<std::size_t>::max());
    const std::size_t lower = std::min(lower_bound_, upper);
    if (sample.members > upper) return -static_cast<std::ptrdiff_t>(sample.members - upper);

    std::size_t grow = 0;
    if (sample.members < lower) {
        grow = lower - sample.members;
    } else if (sample.running > 0 && sample.backlog > upscale_strategy_.mailbox_size_threshold() * sample.running) {
        grow = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(sample.running * upscale_rate_)));
    }
    if (grow > 0) return static_cast<std::ptrdiff_t>(std::min(grow, upper - sample.members));

    if (sample.running == 0 || sample.members <= lower || sample.idle == 0) return 0;
    if (static_cast<double>(sample.idle) < downscale_threshold_ * static_cast<double>(sample.running)) return 0;
    std::size_t shrink = std::max<std::size_t>(1, static_cast<std::size_t>(sample.running * downscale_rate_));
    shrink = std::min({shrink, sample.idle, sample.members - lower});
    return -static_cast<std::ptrdiff_t>(shrink);
}

}  // namespace bastion
