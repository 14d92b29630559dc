#include <bulwark/http/request_context.hpp>
#include <bulwark/http/request_id/request_id.hpp>

namespace bulwark::http {

std::string_view request_context::request_id() {
    if (request_id_size_ == 0) {
        auto& ids = ids_ != nullptr ? *ids_ : request_id_generator::process_default();
        request_id_size_ = ids.generate(std::span<char, request_id_generator::max_size>{
            request_id_.data(), request_id_generator::max_size});
    }
    return {request_id_.data(), request_id_size_};
}

void request_context::set_request_id(std::string_view id) noexcept {
    request_id_size_ = id.copy(request_id_.data(), request_id_.size());
}

std::string_view request_context::path_param(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < param_count_; ++i) {
        if (params_[i].first == name) {
            return params_[i].second;
        }
    }
    return {};
}

void request_context::add_path_param(std::string_view name, std::string_view value) noexcept {
    if (param_count_ < params_.size()) {
        params_[param_count_++] = {name, value};
    }
}

action request_context::reject(const problem& p, std::string_view middleware_name) {
    problem with_id = p;
    if (with_id.request_id.empty()) {
        with_id.request_id = request_id();
    }
    response_.emplace(make_problem_response(with_id, version_, keep_alive_));
    rejected_by_ = middleware_name;
    return action::respond;
}

action request_context::respond(response res, std::string_view middleware_name) {
    response_.emplace(std::move(res));
    rejected_by_ = middleware_name;
    return action::respond;
}

response request_context::take_response() {
    if (!response_) {
        // A hook answered action::respond without setting a response: a bug in that hook,
        // answered as one rather than with undefined behaviour.
        reject({.status = 500, .detail = internal_error_detail}, "pipeline");
    }
    response res = std::move(*response_);
    response_.reset();
    return res;
}

void request_context::reset(const identity& id) noexcept {
    start_ = id.start;
    finish_ = id.start;
    peer_ = id.peer;
    client_ = id.client;
    secure_ = id.secure;
    version_ = id.http_version;
    method_ = id.method;
    keep_alive_ = id.keep_alive;
    body_limit_ = id.body_limit;
    ordinal_ = id.ordinal;
    ids_ = id.ids;
    route_ = {};
    request_id_size_ = 0;
    param_count_ = 0;
    rate_limit_.reset();
    permit_ = concurrency_permit{};
    rejected_by_ = {};
    shadow_rejections_ = 0;
    trace_.clear();
    csp_nonce_size_ = 0;
    cors_origin_ = {};
    response_.reset();
    status_ = 0;
    outcome_ = outcome::completed;
    request_bytes_ = 0;
    response_bytes_ = 0;
    active_series_ = nullptr;
    log_.request_id.clear();
    log_.trace_id.clear();
    log_.span_id.clear();
    log_.user_id.clear();
    log_.route.clear();
    access_.captured = false;
}

namespace {

// Lower-case hex into `out`, reusing its capacity (to_hex() would allocate per request).
template <std::size_t N>
void assign_hex(std::string& out, const std::array<std::uint8_t, N>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    out.resize(2 * N);
    for (std::size_t i = 0; i < N; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xF];
    }
}

} // namespace

void request_context::sync_log_context() noexcept {
    try {
        // Not request_id(): that would make an id before the request_id middleware could
        // accept the client's.
        log_.request_id.assign(request_id_.data(), request_id_size_);
        if (trace_.valid()) {
            assign_hex(log_.trace_id, trace_.trace_id.bytes);
            assign_hex(log_.span_id, trace_.span_id.bytes);
        }
        // Keep-alive requests come from the same client: format the address once.
        if (log_.client_ip.empty() || client_ != logged_client_) {
            log_.client_ip = client_.to_string();
            logged_client_ = client_;
        }
        log_.route.assign(route_.data(), route_.size());
    } catch (...) {
        // Out of memory: the lines of this request carry less context, nothing else fails.
    }
}

void request_context::release() noexcept {
    permit_ = concurrency_permit{};
    response_.reset();
}

} // namespace bulwark::http
