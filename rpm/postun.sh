# go-metro %postun: on erase ($1 = 0) leave the logs (RPM has no purge) and
# the dd-agent user (shared with Agent v5); remove the status directory and an
# empty log directory, and let systemd forget the removed unit.
if [ "$1" = 0 ]; then
    rm -rf /var/lib/go-metro
    rmdir /var/log/datadog 2>/dev/null || true
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
