#!/usr/bin/env bash
# The alert rules of deploy/prometheus parse (promtool check rules) and fire exactly when their
# unit tests say (promtool test rules: synthetic series, expected alerts and labels).
#   promtool_rules_test.sh <source dir>
set -euo pipefail
command -v promtool >/dev/null ||
    { echo "FAIL: promtool not installed (scripts/setup installs the Debian package prometheus)"; exit 1; }
cd "$1/deploy/prometheus"
promtool check rules alerts.yml
promtool test rules alerts_test.yml
