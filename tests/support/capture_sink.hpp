#ifndef BULWARK_TESTS_SUPPORT_CAPTURE_SINK_HPP
#define BULWARK_TESTS_SUPPORT_CAPTURE_SINK_HPP

#include <spdlog/sinks/base_sink.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace bulwark::test {

// An spdlog sink that keeps every formatted line. With the gate closed it blocks inside its
// next write, which holds an async logger's worker so its queue fills.
class capture_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines() {
        std::lock_guard lock{mutex_};
        return lines_;
    }
    std::size_t size() {
        std::lock_guard lock{mutex_};
        return lines_.size();
    }

    void close_gate() {
        std::lock_guard lock{gate_mutex_};
        open_ = false;
    }
    void open_gate() {
        {
            std::lock_guard lock{gate_mutex_};
            open_ = true;
        }
        gate_.notify_all();
    }
    // Returns once a write is blocked at the closed gate.
    void wait_until_blocked() {
        std::unique_lock lock{gate_mutex_};
        blocked_cv_.wait(lock, [this] { return blocked_; });
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        {
            std::unique_lock lock{gate_mutex_};
            if (!open_) {
                blocked_ = true;
                blocked_cv_.notify_all();
                gate_.wait(lock, [this] { return open_; });
            }
        }
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        lines_.emplace_back(buf.data(), buf.size());
    }
    void flush_() override {}

private:
    std::vector<std::string> lines_;
    std::mutex gate_mutex_;
    std::condition_variable gate_;
    std::condition_variable blocked_cv_;
    bool open_ = true;
    bool blocked_ = false;
};

} // namespace bulwark::test

#endif
