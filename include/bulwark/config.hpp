#ifndef BULWARK_CONFIG_HPP
#define BULWARK_CONFIG_HPP

/*
 * Symbol visibility.
 *
 * Every layer is compiled with hidden visibility (-fvisibility=hidden); its public, non-inline
 * functions carry the layer's export macro, so a shared libbulwark_<layer> exports exactly its
 * API. There is one macro per layer because on Windows a symbol is exported by the DLL that
 * defines it and imported by every other module.
 *
 * CMake defines BULWARK_SHARED publicly when the libraries are shared, and
 * BULWARK_<LAYER>_BUILDING privately while that layer is compiled. Users never define either.
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(BULWARK_SHARED)
#define BULWARK_DETAIL_EXPORT __declspec(dllexport)
#define BULWARK_DETAIL_IMPORT __declspec(dllimport)
#else
#define BULWARK_DETAIL_EXPORT
#define BULWARK_DETAIL_IMPORT
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define BULWARK_DETAIL_EXPORT __attribute__((visibility("default")))
#define BULWARK_DETAIL_IMPORT __attribute__((visibility("default")))
#else
#define BULWARK_DETAIL_EXPORT
#define BULWARK_DETAIL_IMPORT
#endif

#if defined(BULWARK_CORE_BUILDING)
#define BULWARK_CORE_API BULWARK_DETAIL_EXPORT
#else
#define BULWARK_CORE_API BULWARK_DETAIL_IMPORT
#endif

#if defined(BULWARK_TELEMETRY_BUILDING)
#define BULWARK_TELEMETRY_API BULWARK_DETAIL_EXPORT
#else
#define BULWARK_TELEMETRY_API BULWARK_DETAIL_IMPORT
#endif

#if defined(BULWARK_ASIO_BUILDING)
#define BULWARK_ASIO_API BULWARK_DETAIL_EXPORT
#else
#define BULWARK_ASIO_API BULWARK_DETAIL_IMPORT
#endif

#if defined(BULWARK_HTTP_BUILDING)
#define BULWARK_HTTP_API BULWARK_DETAIL_EXPORT
#else
#define BULWARK_HTTP_API BULWARK_DETAIL_IMPORT
#endif

#if defined(BULWARK_REDIS_BUILDING)
#define BULWARK_REDIS_API BULWARK_DETAIL_EXPORT
#else
#define BULWARK_REDIS_API BULWARK_DETAIL_IMPORT
#endif

#endif
