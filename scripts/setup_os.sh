#!/usr/bin/env bash
# apt waits up to 10 minutes for another apt/dpkg process to let go of its lock (DPkg::Lock::Timeout).
# OS packages the tests and exports use: headless Chromium and its driver (browser tests),
# GDAL's ogr2ogr (benchmark baseline), poppler (PDF checks), a CJK font (printed maps), PyQGIS,
# Mosquitto (the devices' MQTT broker) and Redis (started by scripts/setup_brokers.sh).
# Installed only when missing, and only where apt and root are available.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v npm >/dev/null || need+=(npm)  # MapLibre GL JS from the npm registry (make assets)
command -v ogr2ogr >/dev/null || need+=(gdal-bin)
command -v pdftotext >/dev/null || need+=(poppler-utils)
{ command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; } || need+=(mosquitto)
command -v redis-server >/dev/null || need+=(redis-server)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
# Printed atlases embed a TrueType CJK font (Noto CJK is CFF and cannot be embedded).
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# PyQGIS headless (QT_QPA_PLATFORM=offscreen): the QGIS recipe of the README is tested with it.
/usr/bin/python3 -c "import qgis.core" 2>/dev/null || need+=(python3-qgis qgis-providers)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null || { [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; }; then
  echo "setup: please install: ${need[*]}" >&2
  exit 1
fi
sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
echo "setup: installing ${need[*]}"
$sudo_ apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $sudo_ apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
