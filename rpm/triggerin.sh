# go-metro %triggerin on datadog-agent: the Agent was installed or upgraded. An Agent v5
# upgrade can replace /etc/dd-agent/supervisor.conf without go-metro's entry;
# go-metro-maint puts it back (or picks another supervisor where the Agent brings none).
/opt/go-metro/lib/pkg/go-metro-maint agent-changed || exit 1
exit 0
