#ifndef BULWARK_HTTP_MESSAGE_HPP
#define BULWARK_HTTP_MESSAGE_HPP

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace bulwark::http {

/// A request header as parsed before any body byte is read (what the header phase sees).
using request_header = boost::beast::http::request_header<>;
/// A complete request; the body is read into a string bounded by the request's body limit.
using request = boost::beast::http::request<boost::beast::http::string_body>;
/// A response as handlers and middlewares build it.
using response = boost::beast::http::response<boost::beast::http::string_body>;

} // namespace bulwark::http

#endif
