# Sourced by scripts/with-services, scripts/with-replica and bench/slowlog_instructions.sh.
#
#   private_postgres <stage> <dest>
#
# Builds in <dest> a private installation of the system's PostgreSQL 15 that loads pgfast from
# <stage> (a DESTDIR tree made by scripts/stage-install) and sets PRIVATE_PG_BIN to its bin dir.
# PostgreSQL finds its lib and share dirs relative to its own executable, so copies of the server
# binaries with the system's lib/share files linked in (and the stage's pgfast files copied over
# them) are a complete installation. <dest> must be readable by the `postgres` user.
private_postgres() {
  local stage=$1 dest=$2 pg_bin pg_lib pg_share exe entry
  [ -d "$stage" ] || { echo "PGFAST_STAGE=$stage does not exist (run scripts/stage-install)" >&2; return 1; }
  pg_bin=$(pg_config --bindir 2>/dev/null || true)
  [ -x "$pg_bin/initdb" ] || pg_bin=/usr/lib/postgresql/15/bin
  pg_lib=$(pg_config --pkglibdir)
  pg_share=$(pg_config --sharedir)
  mkdir -p "$dest$pg_bin" "$dest$pg_lib" "$dest$pg_share/extension"
  for exe in postgres initdb pg_ctl psql; do cp "$pg_bin/$exe" "$dest$pg_bin/"; done
  ln -s "$pg_lib"/* "$dest$pg_lib/"
  for entry in "$pg_share"/*; do
    [ "$(basename "$entry")" = extension ] || ln -s "$entry" "$dest$pg_share/"
  done
  ln -s "$pg_share/extension"/* "$dest$pg_share/extension/"
  if [ -d "$stage$pg_lib" ]; then cp -r --remove-destination "$stage$pg_lib"/. "$dest$pg_lib/"; fi
  if [ -d "$stage$pg_share/extension" ]; then
    cp -r --remove-destination "$stage$pg_share/extension"/. "$dest$pg_share/extension/"
  fi
  PRIVATE_PG_BIN="$dest$pg_bin"
}

# The stage a script should use: PGFAST_STAGE, else build/stage of the checkout at $1 when it
# exists, else nothing (the system-wide install). PGFAST_STAGE=system: nothing, whatever exists (the
# server loads pgfast from the system's PostgreSQL, e.g. the Debian package; scripts/package-test).
default_stage() {
  if [ "${PGFAST_STAGE:-}" = system ]; then return; fi
  if [ -n "${PGFAST_STAGE:-}" ]; then echo "$PGFAST_STAGE"; return; fi
  if [ -d "$1/build/stage" ]; then echo "$1/build/stage"; fi
}

# A random port in the ephemeral-free range that nothing listens on right now. Between this check
# and the server's bind another process may take it: callers retry with a new port.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free loopback port found" >&2
  return 1
}
