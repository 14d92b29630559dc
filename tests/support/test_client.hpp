// Test support for the HTTP layer: a real bulwark server on 127.0.0.1:0 running on its own
// thread, and a blocking client that speaks raw bytes so tests can send what a real client
// would not (lying lengths, drips, oversize headers).
#ifndef BULWARK_TESTS_SUPPORT_TEST_CLIENT_HPP
#define BULWARK_TESTS_SUPPORT_TEST_CLIENT_HPP

#include <bulwark/http/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace bulwark::test {

/// A server on 127.0.0.1 with an ephemeral port, its io_context run by `threads` threads.
class test_server {
public:
    test_server(http::server_config config, http::any_middleware pipeline, http::router routes,
                unsigned threads = 1);
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    [[nodiscard]] const boost::asio::ip::tcp::endpoint& endpoint() const noexcept {
        return endpoint_;
    }
    [[nodiscard]] http::server& server() noexcept { return *server_; }
    [[nodiscard]] boost::asio::io_context& context() noexcept { return ioc_; }
    /// Stops the io_context and joins its threads (the destructor does it too).
    void stop();

private:
    boost::asio::io_context ioc_;
    std::optional<http::server> server_;
    boost::asio::ip::tcp::endpoint endpoint_;
    std::vector<std::thread> threads_;
};

/// One blocking connection with a receive timeout (a test never hangs on a silent server).
class raw_client {
public:
    explicit raw_client(const boost::asio::ip::tcp::endpoint& endpoint,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds{10'000});

    /// Sends bytes; false when the peer has closed (EPIPE / reset).
    bool send(std::string_view bytes);
    /// Reads one response; nullopt if the connection ended or timed out first.
    std::optional<boost::beast::http::response<boost::beast::http::string_body>> read_response();
    /// Sends a request and reads its response.
    std::optional<boost::beast::http::response<boost::beast::http::string_body>>
    request(std::string_view raw_request);
    /// Whether the server has closed the connection (reads EOF or reset within the timeout).
    bool closed_by_server();
    /// Bytes received so far but not consumed by a response.
    [[nodiscard]] std::string leftover() const;

private:
    // Runs the client's io_context until the started operation completes or the timeout
    // passes (then the socket's operations are cancelled).
    void run_bounded(const bool& done);

    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
    std::chrono::milliseconds timeout_;
};

/// "GET <target> HTTP/1.1" with Host and the extra header lines (each ending in \r\n).
std::string get_request(std::string_view target, std::string_view extra_headers = {});

} // namespace bulwark::test

#endif
