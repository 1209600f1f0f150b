# Sourced by the scripts: the JDK we build with and jlink from.
JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
export JAVA_HOME
PATH="$JAVA_HOME/bin:$PATH"
export PATH
# Quieter Maven on JDK 25 (its bundled guava touches sun.misc.Unsafe).
MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
export MAVEN_OPTS
