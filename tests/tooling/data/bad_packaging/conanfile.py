# Fixture for tooling.packaging_detects_drift: only what check_packaging.cmake reads, drifted
# from CMakeLists.txt (wrong version; http lists libcurl instead of openssl).
class BulwarkConan:
    version = "0.0.8"

    _layer_requires = {
        "telemetry": ["fmt/[>=9.1 <11]", "spdlog/[>=1.10 <2]", "prometheus-cpp/[>=1.0.1 <2]"],
        "asio": ["boost/[>=1.81 <2]"],
        "http": ["boost/[>=1.81 <2]", "libcurl/[>=7 <9]"],
    }
