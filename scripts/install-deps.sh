#!/usr/bin/env bash
# Installs the Debian 12 packages disback builds, tests and runs with.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libtorch-dev libopenblas0-pthread
  libhdf5-dev hdf5-tools libcxxopts-dev nlohmann-json3-dev libstb-dev libzip-dev zlib1g-dev
  libgtest-dev pybind11-dev python3-dev
  python3-torch python3-h5py python3-numpy python3-pytest python3-matplotlib
  dataset-fashion-mnist
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
