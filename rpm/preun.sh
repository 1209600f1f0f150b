# go-metro %preun: only on erase ($1 = 0), not on upgrade ($1 = 1), stop the
# program and take away the supervisord entry and the capability.
if [ "$1" = 0 ]; then
    /opt/go-metro/lib/pkg/go-metro-maint remove
fi
exit 0
