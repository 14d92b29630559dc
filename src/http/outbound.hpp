#ifndef BULWARK_SRC_HTTP_OUTBOUND_HPP
#define BULWARK_SRC_HTTP_OUTBOUND_HPP

// What bulwark's two HTTP clients (http_get_check and http::client) share: which hosts and
// targets may go into a request line and a Host header, and the TLS client setup.

#include <bulwark/asio/health/tcp_connect_check.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace bulwark::http::detail {

// Letters, digits and the punctuation of names, IPv6 literals and zone ids: nothing that could
// end a header line or the request line.
inline bool host_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == ':' || c == '[' || c == ']' || c == '%';
}

inline bool valid_host(std::string_view host) noexcept {
    return !host.empty() && host != "[]" && host.size() <= 255 &&
           std::all_of(host.begin(), host.end(), host_char);
}

// An origin-form target: '/' then visible ASCII only.
inline bool valid_target(std::string_view target) noexcept {
    return !target.empty() && target.front() == '/' &&
           std::all_of(target.begin(), target.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// SNI, and the name (or address) the certificate must match when the context verifies.
inline bool prepare_client_tls(SSL* ssl, const bulwark::detail::probe_address& address) {
    if (address.numeric) {
        // RFC 6066: SNI carries names only.
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address.host.c_str()) == 1;
    }
    // SSL_set_tlsext_host_name is a macro casting away const; call what it expands to.
    std::string name = address.host;
    return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, name.data()) ==
               1 &&
           SSL_set1_host(ssl, address.host.c_str()) == 1;
}

} // namespace bulwark::http::detail

#endif
