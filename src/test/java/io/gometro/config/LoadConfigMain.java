package io.gometro.config;

import java.nio.file.Path;

/** Loads one file and prints the outcome; run as another user by {@link UnreadableConfigTest}. */
public final class LoadConfigMain {
    public static void main(String[] args) {
        try {
            GoMetroConfig c = ConfigLoader.load(Path.of(args[0]));
            System.out.println("OK " + c.instances().size());
        } catch (ConfigException e) {
            System.out.println(e.getMessage());
        }
    }
}
