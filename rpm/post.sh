# go-metro %post ($1 = 1 install, 2 upgrade): user, log directory,
# CAP_NET_RAW on the runtime's java (replacing the file on upgrade drops it),
# supervisord entry, (re)start. Idempotent.
/opt/go-metro/lib/pkg/go-metro-maint configure
exit 0
