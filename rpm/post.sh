# go-metro %post ($1 = 1 install, 2 upgrade): user, log and status directories,
# then the host's supervisor (go-metro-maint chooses: Agent v5's supervisord,
# systemd, or the distribution's supervisord), (re)start. Idempotent.
/opt/go-metro/lib/pkg/go-metro-maint configure || exit 1
exit 0
