#!/bin/sh
# pilotctl installer (docs/INSTALL.md): downloads the release binary for this OS and CPU, checks it against the
# release's SHA256SUMS, installs it as <home>/bin/pilotctl (CLI.md §1.8; <home> is $PILOT_HOME or ~/.pilot), puts
# that folder on PATH in the shell rc files, writes the config with `pilotctl init`, and sets up a per-user service
# running `pilotctl daemon run` (systemd user unit on Linux, launchd agent on macOS). Never uses sudo.
#
#   curl -fsSL https://github.com/pilotctl/pilotctl/releases/latest/download/install.sh | sh
#   sh install.sh [--no-service]
#   sh install.sh --uninstall [--purge]
#
# Environment: PILOT_DOWNLOAD_BASE (release URL, local folder or file:// URL), PILOT_VERSION (a tag such as v0.1.0),
# PILOT_HOME, PILOT_HOSTNAME, PILOT_EMAIL, PILOT_REGISTRY, PILOT_BEACON, PILOT_SOCKET (passed to `pilotctl init`),
# PILOT_INSTALL_OS / PILOT_INSTALL_ARCH (override `uname -s` / `uname -m`, for tests and odd systems).
#
# Everything runs inside main(), called on the last line, so a download cut short never runs half a script.
set -eu

RELEASES_URL="https://github.com/pilotctl/pilotctl/releases"
# The marker that identifies our PATH lines in rc files; --uninstall removes exactly the lines carrying it.
RC_MARKER="# added by the pilotctl installer"
SERVICE_NAME="pilotctl.service"
LAUNCHD_LABEL="dev.pilotctl.daemon"

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf 'error: %s\nusage: sh install.sh [--no-service] | --uninstall [--purge] | --help\n' "$*" >&2
  exit 2
}

usage() {
  cat <<'EOF'
Install pilotctl into $PILOT_HOME/bin (default ~/.pilot/bin), add it to PATH and set up the daemon service.

usage: sh install.sh [--no-service]
       sh install.sh --uninstall [--purge]

  --no-service   install the binary and config only; no systemd/launchd service
  --uninstall    remove the binary, the service and the PATH lines; keeps identity, config and trust
  --purge        with --uninstall: also delete the state directory ($PILOT_HOME)

environment: PILOT_DOWNLOAD_BASE, PILOT_VERSION, PILOT_HOME, PILOT_HOSTNAME, PILOT_EMAIL, PILOT_REGISTRY,
             PILOT_BEACON, PILOT_SOCKET, PILOT_INSTALL_OS, PILOT_INSTALL_ARCH (see docs/INSTALL.md)
EOF
}

detect_os() {
  os_raw="${PILOT_INSTALL_OS:-$(uname -s)}"
  case "$os_raw" in
    Linux | linux) OS="linux" ;;
    Darwin | darwin | macos) OS="darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows* | windows)
      die "unsupported operating system \"$os_raw\": on Windows download pilotctl-windows-x64.exe from $RELEASES_URL"
      ;;
    *) die "unsupported operating system \"$os_raw\": pilotctl is released for Linux and macOS" ;;
  esac
}

detect_arch() {
  arch_raw="${PILOT_INSTALL_ARCH:-$(uname -m)}"
  case "$arch_raw" in
    x86_64 | amd64 | x64) ARCH="x64" ;;
    aarch64 | arm64) ARCH="arm64" ;;
    *) die "unsupported CPU architecture \"$arch_raw\": pilotctl is released for x86_64 and arm64" ;;
  esac
}

resolve_paths() {
  [ -n "${HOME:-}" ] || die "cannot install: HOME is not set"
  PILOT_DIR="${PILOT_HOME:-$HOME/.pilot}"
  [ "$PILOT_DIR" = / ] || PILOT_DIR="${PILOT_DIR%/}"
  case "$PILOT_DIR" in
    /*) ;;
    *) die "invalid PILOT_HOME \"$PILOT_DIR\": must be an absolute path" ;;
  esac
  BIN_DIR="$PILOT_DIR/bin"
  BIN="$BIN_DIR/pilotctl"
  SYSTEMD_UNIT="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/$SERVICE_NAME"
  LAUNCHD_PLIST="$HOME/Library/LaunchAgents/$LAUNCHD_LABEL.plist"
  PATH_LINE="export PATH=\"$BIN_DIR:\$PATH\" $RC_MARKER"
}

download_base() {
  if [ -n "${PILOT_DOWNLOAD_BASE:-}" ]; then
    printf '%s' "${PILOT_DOWNLOAD_BASE%/}"
  elif [ -n "${PILOT_VERSION:-}" ]; then
    printf '%s' "$RELEASES_URL/download/$PILOT_VERSION"
  else
    printf '%s' "$RELEASES_URL/latest/download"
  fi
}

# fetch <base> <name> <dest>: a local folder, a file:// URL, or http(s) via curl or wget.
fetch() {
  case "$1" in
    file://*) fetch_src="${1#file://}/$2" ;;
    http://* | https://*) fetch_src="" ;;
    *) fetch_src="$1/$2" ;;
  esac
  if [ -n "$fetch_src" ]; then
    [ -f "$fetch_src" ] || die "cannot download $2: $fetch_src does not exist"
    cp "$fetch_src" "$3" || die "cannot download $2: cannot copy $fetch_src"
  elif command -v curl >/dev/null 2>&1; then
    curl -fsSL --proto '=https,http' --retry 2 -o "$3" "$1/$2" </dev/null || die "cannot download $1/$2"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$3" "$1/$2" </dev/null || die "cannot download $1/$2"
  else
    die "cannot download $1/$2: neither curl nor wget is installed"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{ print $1 }'
  else
    die "cannot verify the download: neither sha256sum nor shasum is installed; nothing was installed"
  fi
}

# verify <file> <name> <sums file>: the name's line in SHA256SUMS (`<hex>  <name>`, or `*<name>` in binary mode).
verify() {
  expected=$(awk -v n="$2" '$2 == n || $2 == "*" n { print $1; exit }' "$3" | tr 'A-F' 'a-f')
  [ -n "$expected" ] || die "cannot verify $2: SHA256SUMS has no entry for it; nothing was installed"
  actual=$(sha256_of "$1")
  [ -n "$actual" ] || die "cannot verify $2: no checksum computed; nothing was installed"
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $2: expected $expected, got $actual; nothing was installed"
  fi
  say "verified $2 (sha256 $actual)"
}

install_binary() {
  artefact="pilotctl-$OS-$ARCH"
  base=$(download_base)
  TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pilotctl-install.XXXXXX") || die "cannot create a temporary directory"
  trap 'rm -rf "$TMP_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  say "downloading $artefact from $base"
  fetch "$base" "$artefact" "$TMP_DIR/$artefact"
  fetch "$base" "SHA256SUMS" "$TMP_DIR/SHA256SUMS"
  verify "$TMP_DIR/$artefact" "$artefact" "$TMP_DIR/SHA256SUMS"

  if [ ! -d "$PILOT_DIR" ]; then
    mkdir -p "$PILOT_DIR" || die "cannot create $PILOT_DIR"
    chmod 700 "$PILOT_DIR"
  fi
  mkdir -p "$BIN_DIR" || die "cannot create $BIN_DIR"
  chmod 755 "$BIN_DIR"
  UPGRADE=false
  [ -f "$BIN" ] && UPGRADE=true
  # Copy next to the target, then rename: a running daemon keeps its old file, and no half-written binary is seen.
  cp "$TMP_DIR/$artefact" "$BIN.new" || die "cannot write $BIN.new"
  chmod 755 "$BIN.new"
  mv -f "$BIN.new" "$BIN" || die "cannot install $BIN"
  say "installed $BIN"
}

add_to_path() {
  rc_found=false
  for rc in "$HOME/.profile" "$HOME/.bashrc" "$HOME/.zshrc"; do
    [ -f "$rc" ] || continue
    rc_found=true
    if grep -qxF "$PATH_LINE" "$rc"; then
      say "PATH: $rc already has $BIN_DIR"
    else
      # A last line without its newline would otherwise be joined to ours.
      if [ -s "$rc" ] && [ -n "$(tail -c 1 "$rc")" ]; then printf '\n' >>"$rc"; fi
      printf '%s\n' "$PATH_LINE" >>"$rc" || die "cannot append to $rc"
      say "PATH: added $BIN_DIR to $rc"
    fi
  done
  # No rc file at all: ~/.profile is the one every POSIX login shell reads.
  if [ "$rc_found" = false ]; then
    printf '%s\n' "$PATH_LINE" >"$HOME/.profile" || die "cannot create $HOME/.profile"
    say "PATH: created $HOME/.profile with $BIN_DIR"
  fi
}

write_config() {
  # Explicit flags, because `init` writes only the keys given as flags (CLI.md §3.10); stdin is closed so a piped
  # `curl … | sh` script is never read by the child.
  set -- init
  [ -n "${PILOT_REGISTRY:-}" ] && set -- "$@" --registry "$PILOT_REGISTRY"
  [ -n "${PILOT_BEACON:-}" ] && set -- "$@" --beacon "$PILOT_BEACON"
  [ -n "${PILOT_SOCKET:-}" ] && set -- "$@" --socket "$PILOT_SOCKET"
  [ -n "${PILOT_HOSTNAME:-}" ] && set -- "$@" --hostname "$PILOT_HOSTNAME"
  [ -n "${PILOT_EMAIL:-}" ] && set -- "$@" --email "$PILOT_EMAIL"
  if ! PILOT_HOME="$PILOT_DIR" "$BIN" "$@" </dev/null; then
    die "pilotctl init failed; the binary is installed at $BIN: fix the settings and run \"$BIN init\""
  fi
}

# systemd reads `%` as a specifier and whitespace as an argument separator: escape and quote what needs it.
systemd_arg() {
  sd_escaped=$(printf '%s' "$1" | sed 's/%/%%/g')
  case "$sd_escaped" in
    *[[:space:]]* | *'"'* | *\\*) printf '"%s"' "$(printf '%s' "$sd_escaped" | sed 's/[\\"]/\\&/g')" ;;
    *) printf '%s' "$sd_escaped" ;;
  esac
}

xml_text() {
  printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

systemd_unit_text() {
  cat <<EOF
# Written by the pilotctl installer; \`sh install.sh --uninstall\` removes it.
[Unit]
Description=pilotctl node daemon
Documentation=https://github.com/pilotctl/pilotctl

[Service]
Type=simple
Environment=$(systemd_arg "PILOT_HOME=$PILOT_DIR")
ExecStart=$(systemd_arg "$BIN") daemon run
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
EOF
}

launchd_plist_text() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by the pilotctl installer; its uninstall mode removes it. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>$LAUNCHD_LABEL</string>
  <key>ProgramArguments</key>
  <array>
    <string>$(xml_text "$BIN")</string>
    <string>daemon</string>
    <string>run</string>
    <string>--log-file</string>
    <string>$(xml_text "$PILOT_DIR/pilot.log")</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PILOT_HOME</key>
    <string>$(xml_text "$PILOT_DIR")</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
</dict>
</plist>
EOF
}

# A user manager is reachable only through the user bus; without it (containers, ssh without a login session)
# systemctl --user fails, so the command is printed instead.
have_user_systemd() {
  command -v systemctl >/dev/null 2>&1 && [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -S "$XDG_RUNTIME_DIR/bus" ]
}

setup_systemd() {
  mkdir -p "$(dirname "$SYSTEMD_UNIT")" || die "cannot create $(dirname "$SYSTEMD_UNIT")"
  systemd_unit_text >"$SYSTEMD_UNIT" || die "cannot write $SYSTEMD_UNIT"
  chmod 644 "$SYSTEMD_UNIT"
  say "service: wrote $SYSTEMD_UNIT"
  enable_cmd="systemctl --user daemon-reload && systemctl --user enable --now $SERVICE_NAME"
  if have_user_systemd; then
    if systemctl --user daemon-reload </dev/null && systemctl --user enable --now "$SERVICE_NAME" </dev/null; then
      # enable --now leaves a running daemon alone; an upgrade must restart it onto the new binary.
      if [ "$UPGRADE" = true ]; then systemctl --user try-restart "$SERVICE_NAME" </dev/null || true; fi
      say "service: enabled and started $SERVICE_NAME (logs: journalctl --user -u $SERVICE_NAME)"
    else
      warn "could not enable the service; run: $enable_cmd"
    fi
  else
    say "service: no systemd user session here; to start the daemon now and at every login, run:"
    say "  $enable_cmd"
  fi
  say "service: to keep it running after logout, run: loginctl enable-linger \"\$USER\""
}

setup_launchd() {
  mkdir -p "$(dirname "$LAUNCHD_PLIST")" || die "cannot create $(dirname "$LAUNCHD_PLIST")"
  launchd_plist_text >"$LAUNCHD_PLIST" || die "cannot write $LAUNCHD_PLIST"
  chmod 644 "$LAUNCHD_PLIST"
  say "service: wrote $LAUNCHD_PLIST"
  load_cmd="launchctl bootstrap gui/\$(id -u) $LAUNCHD_PLIST"
  if command -v launchctl >/dev/null 2>&1; then
    uid=$(id -u)
    # bootstrap refuses an agent that is already loaded: unload it first (an upgrade restarts onto the new binary).
    launchctl bootout "gui/$uid/$LAUNCHD_LABEL" </dev/null >/dev/null 2>&1 || true
    if launchctl bootstrap "gui/$uid" "$LAUNCHD_PLIST" </dev/null; then
      say "service: loaded $LAUNCHD_LABEL (logs: $PILOT_DIR/pilot.log)"
    else
      warn "could not load the launchd agent; run: $load_cmd"
    fi
  else
    say "service: launchctl is not available; to start the daemon now and at every login, run:"
    say "  $load_cmd"
  fi
}

remove_path_lines() {
  for rc in "$HOME/.profile" "$HOME/.bashrc" "$HOME/.zshrc"; do
    [ -f "$rc" ] || continue
    grep -qF "$RC_MARKER" "$rc" || continue
    grep -vF "$RC_MARKER" "$rc" >"$rc.pilotctl-tmp" || true
    # Rewrite in place (not mv) so the file keeps its mode, owner and any symlink pointing at it.
    cat "$rc.pilotctl-tmp" >"$rc" || die "cannot rewrite $rc"
    rm -f "$rc.pilotctl-tmp"
    say "PATH: removed the pilotctl line from $rc"
  done
}

uninstall() {
  purge="$1"
  if [ -x "$BIN" ]; then
    # A daemon started by hand (`pilotctl daemon start`) would outlive its binary; not running is fine.
    PILOT_HOME="$PILOT_DIR" "$BIN" daemon stop </dev/null >/dev/null 2>&1 || true
  fi
  if [ "$OS" = linux ]; then
    if [ -f "$SYSTEMD_UNIT" ]; then
      if have_user_systemd; then
        systemctl --user disable --now "$SERVICE_NAME" </dev/null || warn "could not stop $SERVICE_NAME"
      fi
      rm -f "$SYSTEMD_UNIT"
      if have_user_systemd; then systemctl --user daemon-reload </dev/null || true; fi
      say "removed $SYSTEMD_UNIT"
    fi
  elif [ -f "$LAUNCHD_PLIST" ]; then
    if command -v launchctl >/dev/null 2>&1; then
      launchctl bootout "gui/$(id -u)/$LAUNCHD_LABEL" </dev/null >/dev/null 2>&1 || true
    fi
    rm -f "$LAUNCHD_PLIST"
    say "removed $LAUNCHD_PLIST"
  fi
  if [ -e "$BIN" ]; then
    rm -f "$BIN"
    say "removed $BIN"
  fi
  rmdir "$BIN_DIR" 2>/dev/null || true
  remove_path_lines
  if [ "$purge" = true ]; then
    case "$PILOT_DIR" in
      / | "$HOME" | "$HOME/") die "refusing to purge $PILOT_DIR: it is not a pilotctl state directory" ;;
    esac
    if [ -d "$PILOT_DIR" ]; then
      rm -rf "$PILOT_DIR"
      say "purged $PILOT_DIR (identity, config, trust, received files)"
    fi
  elif [ -d "$PILOT_DIR" ]; then
    say "kept $PILOT_DIR (identity, config, trust); remove it with: sh install.sh --uninstall --purge"
  fi
  say "pilotctl uninstalled"
}

main() {
  mode=install
  service=true
  purge=false
  for arg in "$@"; do
    case "$arg" in
      --no-service) service=false ;;
      --uninstall) mode=uninstall ;;
      --purge) purge=true ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) usage_error "unknown argument \"$arg\"" ;;
    esac
  done
  [ "$purge" = false ] || [ "$mode" = uninstall ] || usage_error "--purge needs --uninstall"

  detect_os
  resolve_paths
  if [ "$mode" = uninstall ]; then
    uninstall "$purge"
    return 0
  fi
  detect_arch
  install_binary
  add_to_path
  write_config
  if [ "$service" = false ]; then
    say "service: skipped (--no-service); start the daemon with: pilotctl daemon start"
  elif [ "$OS" = linux ]; then
    setup_systemd
  else
    setup_launchd
  fi
  say ""
  say "pilotctl is installed. Open a new shell (or run: export PATH=\"$BIN_DIR:\$PATH\"), then try: pilotctl info"
}

main "$@"
