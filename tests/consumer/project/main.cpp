// A consumer of every layer through the umbrella header.
#include <bulwark/bulwark.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/write.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstdio>
#include <sstream>
#include <string>

int main() {
    int failures = 0;
    const auto expect = [&](bool ok, const char* what) {
        if (!ok) {
            std::printf("FAIL: %s\n", what);
            ++failures;
        }
    };

    expect(bulwark::version() == BULWARK_VERSION_STRING, "linked version equals headers");

    // telemetry
    prometheus::Registry registry;
    bulwark::telemetry::register_build_info(registry);
    std::ostringstream text;
    prometheus::TextSerializer{}.Serialize(text, registry.Collect());
    expect(text.str().find("bulwark_build_info{version=\"" BULWARK_VERSION_STRING "\"} 1") !=
               std::string::npos,
           "build info metric");

    // asio: Asio's compiled half comes from bulwark::asio (separate compilation)
    boost::asio::io_context ioc;
    int ran = 0;
    boost::asio::steady_timer timer{ioc, std::chrono::milliseconds{1}};
    timer.async_wait([&](boost::system::error_code ec) { ran += ec ? 0 : 1; });
    boost::asio::post(ioc, [&] { ++ran; });
    ioc.run();
    expect(ran == 2, "io_context ran the handlers");
    const boost::system::error_code ec = bulwark::make_boost_error_code(bulwark::error::queue_full);
    expect(ec == bulwark::error::queue_full, "boost error_code bridge");

    // http: Beast's compiled half comes from bulwark::http
    const auto res = bulwark::http::make_problem_response({.status = 429}, 11, true);
    std::ostringstream wire;
    wire << res;
    expect(wire.str().rfind("HTTP/1.1 429 Too Many Requests\r\n", 0) == 0, "problem response");

    // redis: the layer links (hiredis found through bulwark's installed Findhiredis.cmake)
    bulwark::redis::connection redis{ioc.get_executor(), {.port = 6379}};
    expect(!redis.connected(), "a redis connection that was not started");
    std::string encoded;
    bulwark::redis::command{"PING"}.encode(encoded);
    expect(encoded == "*1\r\n$4\r\nPING\r\n", "redis command encoding");

    if (failures == 0) {
        std::printf("bulwark %s consumer ok\n", std::string{bulwark::version()}.c_str());
    }
    return failures == 0 ? 0 : 1;
}
