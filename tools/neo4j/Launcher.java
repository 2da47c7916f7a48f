// Starts a Neo4j Community server the way the distribution's `neo4j console` does: Neo4j's own bootstrapper,
// configured by $NEO4J_CONF/neo4j.conf under --home-dir. Run as a single-file source program (java Launcher.java)
// with the classpath Maven resolved from pom.xml, so there is nothing to compile or check in.
public final class Launcher {
    public static void main(String[] args) {
        int status = org.neo4j.server.NeoBootstrapper.start(new org.neo4j.server.CommunityBootstrapper(), args);
        if (status != 0) {
            System.exit(status);
        }
        // The bootstrapper's threads keep the JVM alive; its shutdown hook stops the DBMS on SIGTERM/SIGINT.
    }
}
