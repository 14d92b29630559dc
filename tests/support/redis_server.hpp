#ifndef BULWARK_TESTS_SUPPORT_REDIS_SERVER_HPP
#define BULWARK_TESTS_SUPPORT_REDIS_SERVER_HPP

// A real redis-server for one test: started on 127.0.0.1 with an ephemeral port, no
// persistence, and stopped (SIGKILL, reaped) by the destructor. kill() and restart() (same
// port) are what the failure tests need. Needs redis-server on PATH (scripts/setup installs
// Debian's package).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace bulwark::test {

struct redis_server_options {
    std::string password = {}; // requirepass
};

class redis_server {
public:
    using options = redis_server_options;

    explicit redis_server(options o = {}) : options_{std::move(o)}, port_{free_port()} { start(); }
    ~redis_server() { kill(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

    // SIGKILL: the connections break without a goodbye, as when the host dies.
    void kill() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

    // Starts again on the same port (an empty database: nothing is persisted).
    void restart() {
        kill();
        start();
    }

private:
    static std::uint16_t free_port() {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
        return a.local_endpoint().port();
    }

    void start() {
        std::vector<std::string> args = {"redis-server",
                                         "--port",
                                         std::to_string(port_),
                                         "--bind",
                                         "127.0.0.1",
                                         "--save",
                                         "",
                                         "--appendonly",
                                         "no",
                                         "--daemonize",
                                         "no",
                                         "--logfile",
                                         "/dev/null",
                                         "--protected-mode",
                                         "no"};
        if (!options_.password.empty()) {
            args.emplace_back("--requirepass");
            args.push_back(options_.password);
        }
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0) {
            throw std::runtime_error("fork failed");
        }
        if (pid == 0) {
            ::execvp("redis-server", argv.data());
            ::_exit(127);
        }
        pid_ = pid;
        // Ready when it accepts a connection (bounded: a failure to start fails the test).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        boost::asio::io_context io;
        for (;;) {
            boost::asio::ip::tcp::socket s{io};
            boost::system::error_code ec;
            s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
            if (!ec) {
                return;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start (is it installed?)");
            }
            if (std::chrono::steady_clock::now() > deadline) {
                kill();
                throw std::runtime_error("redis-server did not start listening in 10 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
        }
    }

    options options_;
    std::uint16_t port_;
    pid_t pid_ = -1;
};

} // namespace bulwark::test

#endif
