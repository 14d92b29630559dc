#include "support/test_client.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

namespace bulwark::test {

namespace net = boost::asio;
namespace bh = boost::beast::http;

test_server::test_server(http::server_config config, http::any_middleware pipeline,
                         http::router routes, unsigned threads) {
    server_.emplace(ioc_.get_executor(), std::move(config), std::move(pipeline), std::move(routes));
    endpoint_ = server_->listen({net::ip::make_address("127.0.0.1"), 0});
    for (unsigned i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { ioc_.run(); });
    }
}

test_server::~test_server() {
    stop();
}

void test_server::stop() {
    if (threads_.empty()) {
        return;
    }
    server_->close();
    ioc_.stop();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
}

raw_client::raw_client(const net::ip::tcp::endpoint& endpoint, std::chrono::milliseconds timeout)
    : socket_{ioc_}, timeout_{timeout} {
    socket_.connect(endpoint);
}

void raw_client::run_bounded(const bool& done) {
    ioc_.restart();
    ioc_.run_for(timeout_);
    if (!done) {
        boost::system::error_code ignored;
        socket_.cancel(ignored);
        ioc_.restart();
        ioc_.run();
    }
}

bool raw_client::send(std::string_view bytes) {
    bool done = false;
    boost::system::error_code result;
    net::async_write(socket_, net::buffer(bytes.data(), bytes.size()),
                     [&](const boost::system::error_code& ec, std::size_t) {
                         result = ec;
                         done = true;
                     });
    run_bounded(done);
    return !result;
}

std::optional<bh::response<bh::string_body>> raw_client::read_response() {
    bh::response_parser<bh::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bool done = false;
    boost::system::error_code result;
    bh::async_read(socket_, buffer_, parser, [&](const boost::system::error_code& ec, std::size_t) {
        result = ec;
        done = true;
    });
    run_bounded(done);
    if (result) {
        return std::nullopt;
    }
    return parser.release();
}

std::optional<bh::response<bh::string_body>> raw_client::request(std::string_view raw_request) {
    if (!send(raw_request)) {
        return std::nullopt;
    }
    return read_response();
}

bool raw_client::closed_by_server() {
    for (;;) {
        char byte = 0;
        bool done = false;
        boost::system::error_code result;
        socket_.async_read_some(net::buffer(&byte, 1),
                                [&](const boost::system::error_code& ec, std::size_t) {
                                    result = ec;
                                    done = true;
                                });
        run_bounded(done);
        if (result) {
            return result == net::error::eof || result == net::error::connection_reset;
        }
    }
}

std::string raw_client::leftover() const {
    const auto data = buffer_.data();
    return {static_cast<const char*>(data.data()), data.size()};
}

std::string get_request(std::string_view target, std::string_view extra_headers) {
    std::string out = "GET ";
    out.append(target);
    out.append(" HTTP/1.1\r\nHost: localhost\r\n");
    out.append(extra_headers);
    out.append("\r\n");
    return out;
}

} // namespace bulwark::test
