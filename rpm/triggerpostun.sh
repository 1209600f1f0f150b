# go-metro %triggerpostun on datadog-agent ($2 = Agent packages left). On an erase ($2 = 0)
# the Agent v5 supervisord that ran go-metro is gone: go-metro-maint hands go-metro to
# systemd or the distribution's supervisord. On an upgrade ($2 = 1) %triggerin has run.
if [ "$2" = 0 ]; then
    /opt/go-metro/lib/pkg/go-metro-maint agent-changed || exit 1
fi
exit 0
