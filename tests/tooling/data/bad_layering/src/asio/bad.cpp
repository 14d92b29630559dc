// Fixture for the layering check's own test: the asio layer reaching up into telemetry.
#include <bulwark/telemetry/metrics/build_info.hpp>
