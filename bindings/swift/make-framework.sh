# shellcheck shell=bash
# make_framework: one static-library framework bundle of the XCFramework. Sourced by
# build-xcframework.sh (macOS), and by scripts/check-packaging.sh, which runs it on Linux and has
# clang import the result. Defines a function only; bash 3.2 compatible.
#
#   make_framework OUT_DIR LIBRARY GENERATED MODULE PLATFORM MIN_OS VERSION
#
# writes OUT_DIR/MODULE.framework: the static LIBRARY as its binary, GENERATED/Headers and
# GENERATED/Modules (scripts/gen-swift.sh's output), an Info.plist checked with `plutil -lint`.
# PLATFORM is iPhoneOS, iPhoneSimulator or MacOSX; iOS frameworks are flat, macOS ones have the
# Versions/A layout with the top-level symlinks. Returns non-zero on any failure.
make_framework() {
  local out="$1" library="$2" generated="$3" module="$4" platform="$5" min_os="$6" version="$7"
  local fw="$out/$module.framework" root plist min_key entry
  rm -rf "$fw"
  if [[ "$platform" == MacOSX ]]; then
    root="$fw/Versions/A"
    plist="$root/Resources/Info.plist"
    min_key=LSMinimumSystemVersion
    mkdir -p "$root/Resources" || return 1
  else
    root="$fw"
    plist="$root/Info.plist"
    min_key=MinimumOSVersion
    mkdir -p "$root" || return 1
  fi
  cp "$library" "$root/$module" || return 1
  cp -R "$generated/Headers" "$generated/Modules" "$root/" || return 1
  cat >"$plist" <<PLIST || return 1
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>CFBundleDevelopmentRegion</key><string>en</string>
    <key>CFBundleExecutable</key><string>$module</string>
    <key>CFBundleIdentifier</key><string>io.finconn.$module</string>
    <key>CFBundleInfoDictionaryVersion</key><string>6.0</string>
    <key>CFBundleName</key><string>$module</string>
    <key>CFBundlePackageType</key><string>FMWK</string>
    <key>CFBundleShortVersionString</key><string>$version</string>
    <key>CFBundleVersion</key><string>$version</string>
    <key>CFBundleSupportedPlatforms</key><array><string>$platform</string></array>
    <key>$min_key</key><string>$min_os</string>
</dict>
</plist>
PLIST
  plutil -lint "$plist" >/dev/null || return 1
  if [[ "$platform" == MacOSX ]]; then
    ln -s A "$fw/Versions/Current" || return 1
    for entry in "$module" Headers Modules Resources; do
      ln -s "Versions/Current/$entry" "$fw/$entry" || return 1
    done
  fi
}
