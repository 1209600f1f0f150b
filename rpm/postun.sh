# go-metro %postun: on erase ($1 = 0) leave the logs (RPM has no purge) and
# the dd-agent user (shared with Agent v5); remove an empty log directory.
if [ "$1" = 0 ]; then
    rmdir /var/log/datadog 2>/dev/null || true
fi
exit 0
