package alac.opensearch;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node over jars from Maven Central (`alac engines`).
 *
 * <p>The distribution's launcher (bin/opensearch, the Bootstrap class, module zips with their
 * descriptors) is not published to Maven Central, only the server jar and the modules' jars.
 * So this main builds the node the way OpenSearch's own test clusters do: a Node subclass
 * given its modules as classpath plugins (HTTP and transport: transport-netty4; language
 * analyzers: analysis-common; ICU: {@link IcuAnalysisPlugin}). Settings come from
 * {@code <config>/opensearch.yml} exactly as for a packaged node.
 *
 * <p>Usage: {@code java -cp ... alac.opensearch.AlacNode <config folder>}; stopped by SIGTERM.
 */
public final class AlacNode {

    /** Node's constructor that takes classpath plugins is protected. */
    static final class ClasspathNode extends Node {
        ClasspathNode(Environment environment) {
            super(
                environment,
                List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, IcuAnalysisPlugin.class),
                true
            );
        }
    }

    private AlacNode() {}

    /**
     * A test's node (-Dalac.parent.pid) stops when the process that started it is gone, even
     * if that process was killed without running its clean-up: no orphaned node holding half
     * a gigabyte on a shared machine.
     */
    private static void watchParent() {
        String parent = System.getProperty("alac.parent.pid");
        if (parent == null) {
            return;
        }
        long pid = Long.parseLong(parent);
        Thread watcher = new Thread(() -> {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.exit(0); // runs the shutdown hook, which closes the node
        }, "alac-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AlacNode <config folder holding opensearch.yml>");
            System.exit(2);
        }
        Path config = Paths.get(args[0]).toAbsolutePath();
        Settings home = Settings.builder().put("path.home", config.getParent().toString()).build();
        Environment environment =
            InternalSettingsPreparer.prepareEnvironment(home, Map.of(), config, () -> "alac-node");
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.configure(environment);

        Node node = new ClasspathNode(environment);
        // SIGTERM (engine down, the test fixture's exit) closes the node cleanly: shards are
        // flushed so the data folder of `alac engines up` opens again without recovery work.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            }
        }, "alac-node-shutdown"));
        node.start();
        System.out.println("alac-node started");
        watchParent();
        // The node's own threads are daemons; the main thread keeps the JVM alive.
        Thread.currentThread().join();
    }
}
