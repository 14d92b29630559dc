"""Conan 2 recipe for bulwark.

Build from a checkout with `conan create . --build=missing` (options: with_telemetry,
with_asio, with_http, with_redis; core is always built). Consumers then use the package's own
bulwarkConfig.cmake: `find_package(bulwark CONFIG REQUIRED)`.

tests/tooling/check_packaging.cmake keeps `version` and `_layer_requires` equal to
CMakeLists.txt and cmake/bulwark_dependencies.cmake.
"""

import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy


class BulwarkConan(ConanFile):
    name = "bulwark"
    version = "0.1.0"
    license = "Apache-2.0"
    url = "https://github.com/bulwark-cpp/bulwark"
    description = ("Production-readiness middleware for Boost.Asio and Boost.Beast services")
    topics = ("asio", "beast", "rate-limiting", "circuit-breaker", "prometheus", "middleware")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "shared": [True, False],
        "fPIC": [True, False],
        "with_telemetry": [True, False],
        "with_asio": [True, False],
        "with_http": [True, False],
        "with_redis": [True, False],
    }
    default_options = {
        "shared": False,
        "fPIC": True,
        "with_telemetry": True,
        "with_asio": True,
        "with_http": True,
        "with_redis": True,
    }
    exports_sources = "CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "src/*"

    # Third-party requirements per layer (core has none).
    _layer_requires = {
        "telemetry": ["fmt/[>=9.1 <11]", "spdlog/[>=1.10 <2]", "prometheus-cpp/[>=1.0.1 <2]", "openssl/[>=3.0 <4]"],
        "asio": ["boost/[>=1.81 <2]"],
        "http": ["boost/[>=1.81 <2]", "openssl/[>=3.0 <4]"],
        "redis": ["hiredis/[>=0.14.1 <2]", "openssl/[>=3.0 <4]"],
    }

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")
        if self.options.with_telemetry:
            self.options["prometheus-cpp"].with_pull = False
            self.options["prometheus-cpp"].with_push = False

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        seen = set()
        for layer, refs in self._layer_requires.items():
            if not self.options.get_safe(f"with_{layer}"):
                continue
            for ref in refs:
                if ref not in seen:
                    seen.add(ref)
                    self.requires(ref, transitive_headers=True)

    def validate(self):
        check_min_cppstd(self, 20)
        if self.options.with_http and not (self.options.with_asio and self.options.with_telemetry):
            raise ConanInvalidConfiguration("bulwark: with_http needs with_asio and with_telemetry")
        if self.options.with_redis and not self.options.with_asio:
            raise ConanInvalidConfiguration("bulwark: with_redis needs with_asio")

    def generate(self):
        tc = CMakeToolchain(self)
        for layer in self._layer_requires:
            tc.cache_variables[f"BULWARK_WITH_{layer.upper()}"] = bool(self.options.get_safe(f"with_{layer}"))
        tc.cache_variables["BULWARK_BUILD_TESTS"] = False
        tc.cache_variables["BULWARK_BUILD_BENCHMARKS"] = False
        tc.cache_variables["BULWARK_BUILD_EXAMPLES"] = False
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        CMake(self).install()

    def package_info(self):
        # Consumers use bulwark's own CMake package (components, find_dependency calls).
        self.cpp_info.set_property("cmake_find_mode", "none")
        self.cpp_info.builddirs.append(os.path.join("lib", "cmake", "bulwark"))
