#ifndef BULWARK_TESTS_SUPPORT_REDIS_SERVER_HPP
#define BULWARK_TESTS_SUPPORT_REDIS_SERVER_HPP

// A real redis-server for one test: started on 127.0.0.1 with an ephemeral port, no
// persistence, and stopped (SIGKILL, reaped) by the destructor. kill() and restart() (same
// port) are what the failure tests need. Needs redis-server on PATH (scripts/setup installs
// Debian's package).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
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
    // With both set, the server also listens for TLS on tls_port() (clients not asked for a
    // certificate); port() stays plain TCP for the readiness probe.
    std::string tls_cert_file = {};
    std::string tls_key_file = {};
};

class redis_server {
public:
    using options = redis_server_options;

    explicit redis_server(options o = {}) : options_{std::move(o)} {
        // The port is free when chosen, but another test may take it before redis-server
        // binds: then this server exits (or another answers), and a new port is tried.
        for (int attempt = 0;; ++attempt) {
            port_ = free_port();
            tls_port_ = options_.tls_cert_file.empty() ? 0 : free_port();
            if (start(attempt < 4)) {
                return;
            }
        }
    }
    ~redis_server() { kill(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::uint16_t tls_port() const noexcept { return tls_port_; }
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
        start(false);
    }

private:
    static std::uint16_t free_port() {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
        return a.local_endpoint().port();
    }

    // Starts redis-server on port_; true once it is this child that answers there. With
    // `retry`, false when another process has the port; otherwise that throws.
    bool start(bool retry) {
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
        if (tls_port_ != 0) {
            for (const auto& a : {std::string{"--tls-port"}, std::to_string(tls_port_),
                                  std::string{"--tls-cert-file"}, options_.tls_cert_file,
                                  std::string{"--tls-key-file"}, options_.tls_key_file,
                                  std::string{"--tls-ca-cert-file"}, options_.tls_cert_file,
                                  std::string{"--tls-auth-clients"}, std::string{"no"}}) {
                args.push_back(a);
            }
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
                if (answering_pid(s) == pid_) {
                    return true;
                }
                kill(); // another process holds the port
                if (retry) {
                    return false;
                }
                throw std::runtime_error("port " + std::to_string(port_) + " is taken");
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                if (retry) {
                    return false; // most likely the port was taken
                }
                throw std::runtime_error("redis-server exited at start (is it installed?)");
            }
            if (std::chrono::steady_clock::now() > deadline) {
                kill();
                throw std::runtime_error("redis-server did not start listening in 10 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
        }
    }

    // The process id the server on `s` reports (INFO server), or -1.
    pid_t answering_pid(boost::asio::ip::tcp::socket& s) const {
        std::string request;
        if (!options_.password.empty()) {
            request += "*2\r\n$4\r\nAUTH\r\n$" + std::to_string(options_.password.size()) + "\r\n" +
                       options_.password + "\r\n";
        }
        request += "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";
        boost::system::error_code ec;
        boost::asio::write(s, boost::asio::buffer(request), ec);
        std::string got;
        std::array<char, 4096> buf{};
        while (!ec && got.find("\r\ntcp_port:") == std::string::npos &&
               got.find("-NOAUTH") == std::string::npos &&
               got.find("-WRONGPASS") == std::string::npos) {
            const auto n = s.read_some(boost::asio::buffer(buf), ec);
            got.append(buf.data(), n);
        }
        const auto at = got.find("process_id:");
        if (at == std::string::npos) {
            return -1;
        }
        return static_cast<pid_t>(std::stol(got.substr(at + 11)));
    }

    options options_;
    std::uint16_t port_ = 0;
    std::uint16_t tls_port_ = 0;
    pid_t pid_ = -1;
};

} // namespace bulwark::test

#endif
