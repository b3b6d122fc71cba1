# Sourced by the install-*.sh scripts: `apt_install NAME PACKAGE...` installs Debian packages
# with apt-get (sudo when not root) and exits non-zero with a message naming NAME when it
# cannot. Callers decide what is missing; this only installs.
apt_install() {
    local name=$1
    shift
    command -v apt-get >/dev/null 2>&1 || { echo "$name: need $* but apt-get is not available" >&2; exit 1; }
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "$name: installing $*" >&2
    $sudo apt-get update -qq || { echo "$name: apt-get update failed" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null \
        || { echo "$name: apt-get install $* failed" >&2; exit 1; }
}
